import { afterAll, beforeAll } from 'vitest';
import type { Relay } from '../../../relay/relay.js';
import { TestEdge, type RelayLink } from './edge.js';
import { startRelay } from './relay.js';

export const SECRET = 'test-secret-0123456789';

/** What a test file's SFU tests work with, set once its fixture started. */
export interface RelayFixture {
  edge: TestEdge;
  relay: Relay;
  link: RelayLink;
  /** Runs `close` when the file's tests end (clients, PeerConnections). */
  cleanup: Array<() => Promise<void>>;
  /** Closes `c` when the file's tests end; returns it. */
  track<T extends { close(): Promise<void> }>(c: T): T;
}

/**
 * Registers the hooks a relay test file needs: a test edge and an in-process relay on its own ICE
 * port range (and `env`, more relay settings), started before the file's tests; afterwards what they
 * tracked is closed, then both, then `afterStop` runs.
 */
export function relayFixture(
  icePorts: [number, number],
  opts: { env?: Record<string, string>; afterStop?: () => void } = {},
): RelayFixture {
  const cleanup: Array<() => Promise<void>> = [];
  const fx = {
    cleanup,
    track<T extends { close(): Promise<void> }>(c: T): T {
      cleanup.push(() => c.close());
      return c;
    },
  } as RelayFixture;
  beforeAll(async () => {
    fx.edge = await new TestEdge({ secret: SECRET }).start();
    fx.relay = await startRelay(fx.edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ICE_PORT_MIN: String(icePorts[0]),
      RELAY_ICE_PORT_MAX: String(icePorts[1]),
      ...opts.env,
    });
    fx.link = await fx.edge.nextLink();
    await fx.relay.control.whenReady();
  });
  afterAll(async () => {
    for (const f of cleanup.splice(0)) await f().catch(() => undefined);
    await fx.relay?.stop();
    await fx.edge?.close();
    opts.afterStop?.();
  });
  return fx;
}
