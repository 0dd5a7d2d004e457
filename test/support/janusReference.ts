/**
 * The reference Janus (Debian package `janus`), started on loopback with the admin API and the
 * sample event handler by ../shared/tools/janus-reference.sh. Returns undefined when janus is not
 * installed, so differential tests and benchmarks can say so and skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** For a suite that needs the reference Janus: true when it is installed, else says why the suite is skipped. */
export function referenceJanusFor(suite: string): boolean {
  const available = referenceJanusAvailable();
  if (!available)
    process.stderr.write(
      `${suite}: skipped, the reference Janus is not installed (Debian janus; .ci/run installs it)\n`,
    );
  return available;
}

/** `tokenAuth`: start it with `token_auth = true` (stored tokens, managed by the Admin API). */
export async function startReferenceJanus(
  eventsUrl?: string,
  opts: { tokenAuth?: boolean } = {},
): Promise<ReferenceJanus | undefined> {
  if (!referenceJanusAvailable()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'janus-ref-'));
  const [http, ws, admin] = [await freePort(), await freePort(), await freePort()];
  const args = ['start', dir, String(http), String(ws), String(admin)];
  if (eventsUrl) args.push(eventsUrl);
  const env = { ...process.env };
  if (opts.tokenAuth) {
    // The script copies its configuration from JANUS_CONF_SRC: a copy of /etc/janus with token_auth on.
    const src = mkdtempSync(join(tmpdir(), 'janus-conf-'));
    cpSync(process.env.JANUS_CONF_SRC ?? '/etc/janus', src, { recursive: true });
    const jcfg = join(src, 'janus.jcfg');
    writeFileSync(jcfg, readFileSync(jcfg, 'utf8').replace(/^(\s*)#?token_auth = .*$/m, '$1token_auth = true'));
    env.JANUS_CONF_SRC = src;
  }
  // Its working directory is where it writes recordings that name no directory (AudioBridge `record`).
  execFileSync('bash', [script, ...args], { stdio: 'pipe', env, cwd: dir });
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
    stop: () => stopReferenceProcess(pid),
  };
}

/**
 * SIGTERM, then SIGKILL if it is still there after `graceMs`: the reference can hang in its own
 * shutdown (a plugin deadlocked on a lock it kept, as AudioBridge's changeroom errors do), and a
 * hung one must not outlive the test.
 */
export function stopReferenceProcess(pid: number, graceMs = 3_000): void {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + graceMs; Date.now() < deadline;) {
    if (!alive()) return;
    Atomics.wait(tick, 0, 0, 50); // stop() is synchronous: a short blocking wait
  }
  if (alive()) process.kill(pid, 'SIGKILL');
}
