/**
 * A real coturn (Debian `coturn`) on loopback for the TURN tests: TURN REST API auth
 * (`use-auth-secret`, `static-auth-secret`), loopback peers allowed (every peer here is on 127.0.0.1),
 * no TLS, no config file, its database and pid file in a temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/stack.js';

const TURNSERVER = ['/usr/bin/turnserver', '/usr/local/bin/turnserver'].find((p) => existsSync(p));
export const coturnAvailable = TURNSERVER !== undefined;
export const coturnMissing = 'coturn (turnserver) is not installed; .ci/run installs the Debian package';

export interface Coturn {
  port: number;
  secret: string;
  /** `turn:127.0.0.1:<port>?transport=udp` */
  url: string;
  /** A REST credential signed with `secret` (or another) that expires at `expiresAtSec`. */
  credential(expiresAtSec: number, secret?: string): { username: string; credential: string };
  /** Allocations coturn reported so far, and refusals (401s) it logged. */
  allocations(): number;
  log(): string;
  stop(): Promise<void>;
}

export async function startCoturn(): Promise<Coturn> {
  if (!TURNSERVER) throw new Error(coturnMissing);
  const dir = mkdtempSync(join(tmpdir(), 'coturn-'));
  const port = await freePort();
  // Relay ports for allocations: a window above the stacks' ICE ranges, picked per run.
  const minPort = 40000 + Math.floor(Math.random() * 200) * 100;
  const secret = randomBytes(18).toString('base64url');
  const child: ChildProcess = spawn(
    TURNSERVER,
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=janus-edge.test',
      '--allow-loopback-peers',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--no-software-attribute',
      `--min-port=${minPort}`,
      `--max-port=${minPort + 99}`,
      `--userdb=${join(dir, 'turndb')}`,
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      '--log-file=stdout',
      '--simple-log',
      '--verbose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await stunAnswers(port, 10_000, () => child.exitCode !== null);
  } catch (err) {
    await stop();
    throw new Error(`coturn did not start: ${String(err)}\n${out}`, { cause: err });
  }
  return {
    port,
    secret,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    credential: (expiresAtSec, withSecret = secret) => {
      const username = `${Math.floor(expiresAtSec)}:test-user`;
      return { username, credential: createHmac('sha1', withSecret).update(username).digest('base64') };
    },
    allocations: () => (out.match(/ALLOCATE processed, success/g) ?? []).length,
    log: () => out,
    stop,
  };
}

/** Sends STUN binding requests until coturn answers one (it is then listening). */
async function stunAnswers(port: number, timeoutMs: number, dead: () => boolean): Promise<void> {
  const socket = createSocket('udp4');
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(request, 8);
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      socket.on('message', (m) => {
        if (m.length >= 20 && m.readUInt16BE(0) === 0x0101) resolve();
      });
      const timer = setInterval(() => {
        if (dead()) return reject(new Error('turnserver exited'));
        if (Date.now() > deadline) return reject(new Error('no STUN answer'));
        socket.send(request, port, '127.0.0.1');
      }, 100);
      socket.once('close', () => clearInterval(timer));
    });
  } finally {
    socket.close();
  }
}
