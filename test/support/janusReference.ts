/**
 * The reference Janus (Debian package `janus`), started on loopback with the admin API and the
 * sample event handler by ../shared/tools/janus-reference.sh. Returns undefined when janus is not
 * installed, so differential tests and benchmarks can say so and skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './stack.js';

export interface ReferenceJanus {
  httpUrl: string;
  wsUrl: string;
  adminUrl: string;
  pid: number;
  stop(): void;
}

const script = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'tools', 'janus-reference.sh');

export function referenceJanusAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v janus'], { stdio: 'ignore' }).status === 0 && existsSync(script);
}

export async function startReferenceJanus(eventsUrl?: string): Promise<ReferenceJanus | undefined> {
  if (!referenceJanusAvailable()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'janus-ref-'));
  const [http, ws, admin] = [await freePort(), await freePort(), await freePort()];
  const args = ['start', dir, String(http), String(ws), String(admin)];
  if (eventsUrl) args.push(eventsUrl);
  execFileSync('bash', [script, ...args], { stdio: 'pipe' });
  const pid = Number(
    execFileSync('cat', [join(dir, 'pid')])
      .toString()
      .trim(),
  );
  return {
    httpUrl: `http://127.0.0.1:${http}/janus`,
    wsUrl: `ws://127.0.0.1:${ws}`,
    adminUrl: `http://127.0.0.1:${admin}/admin`,
    pid,
    stop: () => {
      execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore' });
    },
  };
}
