/**
 * `npm start`: the whole local stack. The edge runs in workerd (wrangler dev) on PORT (default 8088);
 * relays join it when they exist. Prints one line with `ready` and the URLs once the API answers;
 * SIGINT/SIGTERM stop every child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const port = Number(process.env.PORT ?? 8088);
const host = process.env.HOST ?? '127.0.0.1';

/** Edge settings passed through from the environment to the Worker's vars (see edge/config.ts). */
const edgeVars = ['SESSION_TIMEOUT', 'RECLAIM_SESSION_TIMEOUT', 'CANDIDATES_TIMEOUT', 'ADMIN_SECRET', 'API_SECRET', 'TOKEN_AUTH', 'TOKEN_AUTH_SECRET', 'EVENTS_URL', 'SERVER_NAME', 'SHARD_COUNT', 'MAX_BODY_BYTES', 'STATUS_PERIOD', 'TEST_PLUGINS', 'LOG_LEVEL'];

const children: ChildProcess[] = [];
let stopping = false;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => res(p));
    });
  });
}

function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) {
    if (c.pid && c.exitCode === null) {
      try {
        process.kill(-c.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  setTimeout(() => {
    for (const c of children) if (c.pid && c.exitCode === null) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
    process.exit(code);
  }, 3000).unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r))))).then(() => process.exit(code));
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

async function startEdge(): Promise<void> {
  const state = resolve(root, '.tmp', `edge-${port}`);
  rmSync(state, { recursive: true, force: true });
  mkdirSync(state, { recursive: true });
  const args = ['wrangler', 'dev', '--port', String(port), '--ip', host, '--inspector-port', String(await freePort()), '--persist-to', state, '--show-interactive-dev-session=false', '--log-level', process.env.WRANGLER_LOG ?? 'warn'];
  for (const k of edgeVars) if (process.env[k] !== undefined) args.push('--var', `${k}:${process.env[k]}`);
  const child = spawn(resolve(root, 'node_modules/.bin/wrangler'), args.slice(1), {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: process.env.CI ?? 'true', NO_COLOR: '1' },
  });
  children.push(child);
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

try {
  await startEdge();
  console.log(`ready janus=http://${host}:${port}/janus ws=ws://${host}:${port}/janus admin=http://${host}:${port}/admin`);
} catch (err) {
  console.error(String(err));
  stop(1);
}
