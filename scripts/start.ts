/**
 * `npm start`: the whole local stack. The edge runs in workerd (wrangler dev) on PORT (default 8088)
 * and one relay per region of RELAY_REGIONS (default one relay, region "local") connects to it.
 * Prints one line with `ready` and the URLs once the API answers and every relay has registered.
 *
 * It supervises what it starts: a relay that exits or stops answering its /health is restarted with
 * backoff and re-registers; an edge that stops answering /health is restarted (its Durable Objects'
 * state kept), and if it cannot be brought back the command exits non-zero saying why. SIGINT and
 * SIGTERM stop everything (relays first, so they hang up their peers cleanly).
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { bundle } from './stack/bundle.js';
import { collectGarbage } from './stack/collectGarbage.js';
import { EdgeProcess } from './stack/edgeProcess.js';
import { edgeVars } from './stack/edgeVars.js';
import { HealthWatch } from './stack/healthWatch.js';
import { RelayProcess } from './stack/relayProcess.js';

const root = resolve(import.meta.dirname, '..');
const port = Number(process.env.PORT ?? 8088);
const host = process.env.HOST ?? '127.0.0.1';
const regions = (process.env.RELAY_REGIONS ?? 'local')
  .split(',')
  .map((r) => r.trim())
  .filter(Boolean);
/** One secret for the edge and its relays; generated per run unless given. */
const relaySecret = process.env.RELAY_SECRET ?? randomBytes(24).toString('base64url');
/**
 * Each relay gets its own ICE port range below the kernel's ephemeral ports, offset by PORT so that
 * two stacks on one machine do not share ports (RELAY_ICE_PORT_BASE overrides the start).
 */
const portsPerRelay = Number(process.env.RELAY_ICE_PORTS ?? 200);
const iceBase = Number(process.env.RELAY_ICE_PORT_BASE ?? 20000 + (port % 30) * 2 * portsPerRelay);
/** Remote-publisher ports (2 per remote publisher or cascade link), below the ICE ranges. */
const remotePortsPerRelay = Number(process.env.RELAY_REMOTE_PORTS ?? 160);
const remoteBase = Number(process.env.RELAY_REMOTE_PORT_BASE ?? 10000 + (port % 30) * 2 * remotePortsPerRelay);
/** An edge restarted more often than this within EDGE_RESTART_WINDOW_MS is given up on. */
const EDGE_MAX_RESTARTS = 5;
const EDGE_RESTART_WINDOW_MS = 10 * 60_000;

const say = (line: string) => console.log(line);
const complain = (line: string) => console.error(`npm start: ${line}`);

const stateDir = resolve(root, '.tmp', `edge-${port}`);
rmSync(stateDir, { recursive: true, force: true });
const edge = new EdgeProcess(
  {
    root,
    host,
    port,
    stateDir,
    vars: edgeVars(process.env, relaySecret),
    runner: process.env.EDGE_RUNNER === 'wrangler' ? 'wrangler' : 'miniflare',
  },
  (why) => edgeDied(why),
);
const edgeHealth = new HealthWatch({
  url: () => `${edge.url}/health`,
  intervalMs: 2000,
  timeoutMs: 3000,
  failures: 3,
  onDead: (error) => edgeDied(`it stopped answering /health (${error})`),
});

// The relays run compiled: plain node, no TypeScript loader (scripts/stack/bundle.ts says why).
const relayBundle = await bundle(root, 'relay/main.ts', 'relay');
const relays = regions.map((region, index) => {
  const ice: [number, number] = [iceBase + index * portsPerRelay, iceBase + (index + 1) * portsPerRelay - 1];
  const remote: [number, number] = [
    remoteBase + index * remotePortsPerRelay,
    remoteBase + (index + 1) * remotePortsPerRelay - 1,
  ];
  const id = `relay-${region}-${port}`;
  return new RelayProcess(
    root,
    {
      bundle: relayBundle,
      id,
      region,
      host,
      icePorts: ice,
      remotePorts: remote,
      env: {
        RELAY_ID: id,
        RELAY_REGION: region,
        RELAY_SECRET: relaySecret,
        EDGE_URL: edge.url,
        RELAY_ICE_PORT_MIN: String(ice[0]),
        RELAY_ICE_PORT_MAX: String(ice[1]),
        RELAY_REMOTE_PORT_MIN: String(remote[0]),
        RELAY_REMOTE_PORT_MAX: String(remote[1]),
        RELAY_HTTP_PORT: '0',
        RELAY_EXIT_WITH_PID: String(process.pid),
        LOG_LEVEL: process.env.RELAY_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
      },
    },
    say,
    complain,
  );
});

let stopping = false;
let restartingEdge = false;
const edgeRestarts: number[] = [];

function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  edgeHealth.stop();
  setTimeout(() => {
    for (const r of relays) r.kill();
    process.exit(code);
  }, 10_000).unref();
  // Relays first, while the edge still answers, so they can hang up their peers and tell it.
  Promise.all(relays.map((r) => r.stop(5000)))
    .then(() => edge.stop())
    .catch((err: unknown) => complain(`stopping: ${err instanceof Error ? err.message : String(err)}`))
    // The local state is scratch (cleared at every start); do not leave it behind either, however the
    // edge stopped.
    .then(() => rmSync(stateDir, { recursive: true, force: true, maxRetries: 3 }))
    .catch((err: unknown) => complain(`could not remove ${stateDir}: ${String(err)}`))
    .then(() => process.exit(code));
}

/** The edge went away: restart it (relays reconnect by themselves), or give up loudly. */
function edgeDied(why: string): void {
  if (stopping || restartingEdge) return;
  restartingEdge = true;
  edgeHealth.stop();
  const now = Date.now();
  while (edgeRestarts.length > 0 && now - edgeRestarts[0]! > EDGE_RESTART_WINDOW_MS) edgeRestarts.shift();
  if (edgeRestarts.length >= EDGE_MAX_RESTARTS) {
    complain(`the edge failed: ${why}; it was restarted ${edgeRestarts.length} times in 10 minutes, giving up`);
    return stop(1);
  }
  edgeRestarts.push(now);
  complain(`the edge failed: ${why}; restarting it`);
  edge
    .stop()
    .then(() => edge.start())
    .then(() => {
      restartingEdge = false;
      complain(`the edge is back on ${edge.url}`);
      edgeHealth.start();
      collectGarbage();
    })
    .catch((err) => {
      complain(`the edge could not be restarted: ${err instanceof Error ? err.message : String(err)}`);
      stop(1);
    });
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

/** Waits until the edge's directory lists every relay we started. */
async function relaysRegistered(expected: number): Promise<Array<{ relayId: string; region: string }>> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const health = (await (await fetch(`${edge.url}/health`)).json()) as {
        relays: Array<{ relayId: string; region: string }>;
      };
      if (health.relays.length >= expected) return health.relays;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('relays did not register within 60 s');
}

try {
  await edge.start();
  for (const r of relays) r.start();
  const registered = await relaysRegistered(relays.length);
  edgeHealth.start();
  collectGarbage();
  say(
    `ready janus=${edge.url}/janus ws=ws://${host}:${port}/janus admin=${edge.url}/admin relays=${registered.map((r) => `${r.relayId}@${r.region}`).join(',')}`,
  );
} catch (err) {
  complain(err instanceof Error ? err.message : String(err));
  stop(1);
}
