import { afterAll, beforeAll } from 'vitest';
import { TestEdge, type RelayLink } from './edge.js';
import { spawnRelay, type RelayProcess } from './process.js';

/** The relay's `/debug/resources` answer: what resource-symmetry tests count. */
export interface RelayResources {
  udpHandles: number;
  socketFds: number;
  timers: number;
  heapUsedBytes: number;
  portsInUse: number;
  ports: number[];
  peers: number;
}

/** What a test file works with once its spawned relay is up. */
export interface SpawnedRelayFixture {
  edge: TestEdge;
  relay: RelayProcess;
  link: RelayLink;
  /** The relay's resources, after a full GC unless `gc` is false. */
  resources<T extends RelayResources = RelayResources>(gc?: boolean): Promise<T>;
}

/**
 * Registers the hooks of a test file that needs the relay as its own process (as `npm start` runs
 * it, with `--expose-gc` so that resources are counted after a collection): a test edge, the relay
 * with `env` (which must name RELAY_SECRET), started and heard from before the tests; killed after.
 */
export function spawnedRelayFixture(env: Record<string, string> & { RELAY_SECRET: string }): SpawnedRelayFixture {
  const fx = {
    async resources<T extends RelayResources = RelayResources>(gc = true): Promise<T> {
      return (await fx.relay.debug<T>(`/debug/resources${gc ? '?gc=1' : ''}`)).body;
    },
  } as SpawnedRelayFixture;
  beforeAll(async () => {
    fx.edge = await new TestEdge({ secret: env.RELAY_SECRET }).start();
    fx.relay = await spawnRelay({ ...env, EDGE_URL: fx.edge.url }, ['--expose-gc']);
    fx.link = await fx.edge.nextLink();
    await fx.link.until(() => fx.link.heartbeats.length > 0, 5000, 'first heartbeat');
  });
  afterAll(async () => {
    fx.relay?.kill();
    await fx.edge?.close();
  });
  return fx;
}
