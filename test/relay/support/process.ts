import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { bundle } from '../../../scripts/stack/bundle.js';
import { RELAY_NODE_FLAGS } from '../../../scripts/stack/relayProcess.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface RelayProcess {
  child: ChildProcess;
  pid: number;
  httpPort: number;
  base: string;
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  get<T = unknown>(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; text: string; headers: Headers }>;
  /** A `/debug/*` request, authorized with the relay's RELAY_SECRET. */
  debug<T = unknown>(path: string): Promise<{ status: number; body: T; text: string; headers: Headers }>;
  kill(): void;
}

let relayBundle: Promise<string> | undefined;

/**
 * Spawns the real relay as `npm start` runs it (compiled by scripts/stack/bundle.ts, with the same
 * node flags), waits for its "listening" line.
 */
export async function spawnRelay(env: Record<string, string>, nodeArgs: string[] = []): Promise<RelayProcess> {
  relayBundle ??= bundle(root, 'relay/main.ts', 'relay');
  const child = spawn(process.execPath, [...RELAY_NODE_FLAGS, ...nodeArgs, await relayBundle], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      RELAY_HTTP_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = await new Promise<{ httpPort: number }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`relay did not start: ${stderr.join('\n')}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { event?: string; httpPort?: number };
        if (m.event === 'listening' && m.httpPort) {
          clearTimeout(t);
          resolve({ httpPort: m.httpPort });
        }
      } catch {
        // not ours
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(t);
      reject(new Error(`relay exited with ${code}: ${stderr.join('\n')}`));
    });
  });
  const base = `http://127.0.0.1:${listening.httpPort}`;
  const get = async <T>(path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, { headers: { connection: 'close', ...headers } });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // text
    }
    return { status: res.status, body: body as T, text, headers: res.headers };
  };
  return {
    child,
    pid: child.pid!,
    httpPort: listening.httpPort,
    base,
    stderr,
    exited,
    get,
    debug: <T>(path: string) => get<T>(path, { authorization: `Bearer ${env.RELAY_SECRET ?? ''}` }),
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Local ports of the UDP sockets a process holds (its /proc/<pid>/fd inodes joined with /proc/net/udp). */
export function udpPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // gone
    }
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

export function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`metric ${name} missing`);
  return Number(m[1]);
}
