/**
 * Starts the real local stack (`npm start`: the edge in workerd, plus relays) on a free port
 * for black-box tests, and stops it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { freePort } from '../../scripts/freePort.js';

export { freePort };
import { resolve } from 'node:path';

export interface StackRelay {
  id: string;
  region: string;
  pid: number;
  httpUrl: string;
}

export interface Stack {
  port: number;
  relays: StackRelay[];
  httpUrl: string; // http://127.0.0.1:PORT/janus
  wsUrl: string; // ws://127.0.0.1:PORT/janus
  adminUrl: string; // http://127.0.0.1:PORT/admin
  adminWsUrl: string;
  baseUrl: string;
  /** The pid of `npm start` itself (scripts/start.ts). */
  pid: number;
  /** Everything the stack printed so far (stdout and stderr). */
  output(): string;
  /** The edge⇄relay secret of this stack; `/debug/*` on a relay wants it as a bearer token. */
  relaySecret: string;
  /** SIGTERM, as a user's Ctrl-C or a service manager: resolves with the exit code (null: killed by a signal). */
  stop(): Promise<number | null>;
}

/** GET a relay's `/debug/*` path of a stack, authorized with the stack's relay secret. */
export async function relayDebug<T>(stack: Stack, relayHttpUrl: string, path: string): Promise<T> {
  const res = await fetch(relayHttpUrl + path, { headers: { authorization: `Bearer ${stack.relaySecret}` } });
  if (res.status !== 200) throw new Error(`${path} on ${relayHttpUrl}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const root = resolve(import.meta.dirname, '..', '..');

/** `npm start`'s own command (package.json), run without npm in front: the stack as users start it. */
function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  // `exec`: the shell npm runs the script with gives way to node, so that npm's SIGTERM reaches it.
  const [node, ...args] = pkg.scripts.start.replace(/^exec /, '').split(' ');
  if (node !== 'node') throw new Error(`npm start runs ${node}, not node: update test/support/stack.ts`);
  return args;
}

/**
 * `env` holds edge settings (SESSION_TIMEOUT, EVENTS_URL, TEST_PLUGINS, ...) as in edge/config.ts,
 * and RELAY_REGIONS (default one relay in region "local").
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  // A port found free can be taken before workerd binds it: then the stack starts again on another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(env);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
    }
  }
}

async function startStackOnce(env: Record<string, string>): Promise<Stack> {
  const port = await freePort();
  const relaySecret = env.RELAY_SECRET ?? randomBytes(24).toString('base64url');
  const child: ChildProcess = spawn(process.execPath, startCommand(), {
    cwd: root,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      RELAY_LOG_LEVEL: 'error',
      ...env,
      RELAY_SECRET: relaySecret,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`stack did not start:\n${out}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^ready /m.test(out)) {
        clearTimeout(timer);
        res();
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`stack exited with ${code}:\n${out}`));
    });
  });
  const base = `127.0.0.1:${port}`;
  // Kept current: a supervised relay that restarts prints its line again, with its new pid and port.
  const relays: StackRelay[] = [];
  const readRelays = () => {
    for (const m of out.matchAll(/^relay (\S+) region=(\S+) pid=(\d+) http=(\S+)/gm)) {
      const relay = { id: m[1]!, region: m[2]!, pid: Number(m[3]), httpUrl: m[4]! };
      const known = relays.find((r) => r.id === relay.id);
      if (known) Object.assign(known, relay);
      else relays.push(relay);
    }
  };
  readRelays();
  child.stdout!.on('data', readRelays);
  return {
    port,
    relays,
    relaySecret,
    baseUrl: `http://${base}`,
    httpUrl: `http://${base}/janus`,
    wsUrl: `ws://${base}/janus`,
    adminUrl: `http://${base}/admin`,
    adminWsUrl: `ws://${base}/admin`,
    pid: child.pid!,
    output: () => out,
    stop: () =>
      new Promise<number | null>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
        child.once('exit', (code) => res(code));
        child.kill('SIGTERM');
      }),
  };
}
