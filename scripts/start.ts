/**
 * `npm start`: the whole local stack. The edge runs in workerd (wrangler dev) on PORT (default 8088)
 * and one relay per region of RELAY_REGIONS (default one relay, region "local") connects to it.
 * Prints one line with `ready` and the URLs once the API answers and every relay has registered;
 * SIGINT/SIGTERM stop every child process (relays first, so they hang up their peers cleanly).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './freePort.js';

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

/** Edge settings passed through from the environment to the Worker's vars (see edge/config.ts). */
const edgeVars = [
  'SESSION_TIMEOUT',
  'RECLAIM_SESSION_TIMEOUT',
  'CANDIDATES_TIMEOUT',
  'ADMIN_SECRET',
  'API_SECRET',
  'TOKEN_AUTH',
  'TOKEN_AUTH_SECRET',
  'EVENTS_URL',
  'SERVER_NAME',
  'SHARD_COUNT',
  'MAX_BODY_BYTES',
  'STATUS_PERIOD',
  'TEST_PLUGINS',
  'VIDEOROOM_STRING_IDS',
  'VIDEOROOM_ADMIN_KEY',
  'VIDEOROOM_LOCK_RTP_FORWARD',
  'VIDEOROOM_MAX_REMOTE_PUBLISHERS',
  'MAX_PEERS_PER_SESSION',
  'MAX_PEERS_PER_ADDRESS',
  'OFFERS_PER_SECOND_PER_SESSION',
  'OFFER_BURST_PER_SESSION',
  'OFFERS_PER_SECOND_PER_ADDRESS',
  'OFFER_BURST_PER_ADDRESS',
  'LOG_LEVEL',
];

const children: ChildProcess[] = [];
/** The edge: a Miniflare instance (EDGE_RUNNER=miniflare) or the `wrangler dev` process. */
let edge: { dispose(): Promise<void> } | undefined;
let edgeChild: ChildProcess | undefined;
let stopping = false;

function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  if (!c.pid || c.exitCode !== null) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    // already gone
  }
}

const exited = (c: ChildProcess) =>
  c.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));

/** Where the running edge keeps its local Durable Object state. */
let stateDir: string | undefined;

function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => {
    for (const c of [...children, ...(edgeChild ? [edgeChild] : [])]) killGroup(c, 'SIGKILL');
    process.exit(code);
  }, 8000).unref();
  // Relays first, while the edge still answers, so they can hang up their peers and tell it.
  for (const c of children) killGroup(c, 'SIGTERM');
  Promise.all(children.map(exited))
    .then(async () => {
      if (edgeChild) {
        killGroup(edgeChild, 'SIGTERM');
        await exited(edgeChild);
      }
      await edge?.dispose();
      // The local state is scratch (cleared at every start); do not leave it behind either.
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    })
    .catch(() => undefined)
    .then(() => process.exit(code));
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

/**
 * The edge runs in workerd through Miniflare: wrangler builds the same bundle `wrangler deploy` would
 * upload (its [build] step gathers the assets), and Miniflare serves it with the Durable Objects,
 * assets and vars of wrangler.toml. No dev proxy sits in front, so local figures are the Worker's own.
 */
async function startEdgeWithMiniflare(): Promise<void> {
  const state = (stateDir = resolve(root, '.tmp', `edge-${port}`));
  const bundleDir = resolve(state, 'bundle');
  rmSync(state, { recursive: true, force: true });
  mkdirSync(bundleDir, { recursive: true });
  await new Promise<void>((res, rej) => {
    const build = spawn(resolve(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', bundleDir], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
    });
    let err = '';
    build.stderr!.on('data', (d) => (err += d));
    build.once('exit', (code) => (code === 0 ? res() : rej(new Error(`edge build failed (${code}): ${err}`))));
  });
  const { Miniflare, Log, LogLevel } = await import('miniflare');
  const { unstable_getMiniflareWorkerOptions } = await import('wrangler');
  const { workerOptions } = unstable_getMiniflareWorkerOptions(resolve(root, 'wrangler.toml'));
  const vars: Record<string, string> = { RELAY_SECRET: relaySecret };
  for (const k of edgeVars) if (process.env[k] !== undefined) vars[k] = process.env[k]!;
  const mf = new Miniflare({
    ...workerOptions,
    name: 'janus-edge',
    modules: true,
    scriptPath: resolve(bundleDir, 'index.js'),
    bindings: { ...(workerOptions.bindings as Record<string, string>), ...vars },
    host,
    port,
    durableObjectsPersist: resolve(state, 'do'),
    // No network beyond loopback: do not fetch Cloudflare's `request.cf` sample.
    cf: false,
    // EDGE_INSPECTOR_PORT opens the V8 inspector (CPU profiles of the edge under load).
    ...(process.env.EDGE_INSPECTOR_PORT ? { inspectorPort: Number(process.env.EDGE_INSPECTOR_PORT) } : {}),
    log: new Log(LogLevel.WARN),
  } as ConstructorParameters<typeof Miniflare>[0]);
  edge = mf;
  await mf.ready;
}

async function startEdgeWithWranglerDev(): Promise<void> {
  const state = (stateDir = resolve(root, '.tmp', `edge-${port}`));
  rmSync(state, { recursive: true, force: true });
  mkdirSync(state, { recursive: true });
  const args = [
    'wrangler',
    'dev',
    '--port',
    String(port),
    '--ip',
    host,
    '--inspector-port',
    String(await freePort()),
    '--persist-to',
    state,
    '--show-interactive-dev-session=false',
    '--log-level',
    process.env.WRANGLER_LOG ?? 'warn',
  ];
  for (const k of edgeVars) if (process.env[k] !== undefined) args.push('--var', `${k}:${process.env[k]}`);
  args.push('--var', `RELAY_SECRET:${relaySecret}`);
  const child = spawn(resolve(root, 'node_modules/.bin/wrangler'), args.slice(1), {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: process.env.CI ?? 'true', NO_COLOR: '1' },
  });
  edgeChild = child;
  child.stdout!.on('data', (d) => process.env.STACK_VERBOSE && process.stdout.write(`[edge] ${d}`));
  child.stderr!.on('data', (d) => process.stderr.write(`[edge] ${d}`));
  child.once('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`edge exited with ${code}\n`);
      stop(1);
    }
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://${host}:${port}/janus/info`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('edge did not answer within 60 s');
}

/**
 * `wrangler dev` (the default) puts its dev proxy in front of the Worker and reloads on edits;
 * EDGE_RUNNER=miniflare serves the same bundle straight from workerd, without that proxy (the
 * benchmarks use it: it is the Worker's own cost, as in production).
 */
function startEdge(): Promise<void> {
  return process.env.EDGE_RUNNER === 'miniflare' ? startEdgeWithMiniflare() : startEdgeWithWranglerDev();
}

function startRelay(region: string, index: number): void {
  const min = iceBase + index * portsPerRelay;
  const remoteMin = remoteBase + index * remotePortsPerRelay;
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'relay/main.ts')], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      RELAY_ID: `relay-${region}-${port}`,
      RELAY_REGION: region,
      RELAY_SECRET: relaySecret,
      EDGE_URL: `http://${host}:${port}`,
      RELAY_ICE_PORT_MIN: String(min),
      RELAY_ICE_PORT_MAX: String(min + portsPerRelay - 1),
      RELAY_REMOTE_PORT_MIN: String(remoteMin),
      RELAY_REMOTE_PORT_MAX: String(remoteMin + remotePortsPerRelay - 1),
      RELAY_HTTP_PORT: '0',
      RELAY_EXIT_WITH_PID: String(process.pid),
      LOG_LEVEL: process.env.RELAY_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
    },
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => {
    const text = d.toString();
    const m = /"event":"listening".*?"httpPort":(\d+)/.exec(text);
    if (m) {
      const httpPort = Number(m[1]);
      console.log(
        `relay relay-${region}-${port} region=${region} pid=${child.pid} http=http://${host}:${httpPort} ice=${min}-${min + portsPerRelay - 1} remote=${remoteMin}-${remoteMin + remotePortsPerRelay - 1}`,
      );
    }
    if (process.env.STACK_VERBOSE) process.stdout.write(`[relay ${region}] ${text}`);
  });
  child.stderr!.on('data', (d) => process.stderr.write(`[relay ${region}] ${d}`));
  child.once('exit', (code) => {
    if (!stopping) process.stderr.write(`relay ${region} exited with ${code}\n`);
  });
}

/** Waits until the edge's directory lists every relay we started. */
async function relaysRegistered(expected: number): Promise<Array<{ relayId: string; region: string }>> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const health = (await (await fetch(`http://${host}:${port}/health`)).json()) as {
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
  await startEdge();
  regions.forEach((region, i) => startRelay(region, i));
  const relays = await relaysRegistered(regions.length);
  console.log(
    `ready janus=http://${host}:${port}/janus ws=ws://${host}:${port}/janus admin=http://${host}:${port}/admin relays=${relays.map((r) => `${r.relayId}@${r.region}`).join(',')}`,
  );
} catch (err) {
  console.error(String(err));
  stop(1);
}
