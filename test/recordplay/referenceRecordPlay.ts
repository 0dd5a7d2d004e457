/**
 * The reference Janus with its Record&Play plugin on (../shared/tools/janus-reference.sh leaves it
 * disabled): the script's configuration, with libjanus_recordplay.so enabled and its `path` set to the
 * given folder, started the way the script starts it. Undefined when janus is not installed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { referenceJanusAvailable } from '../support/janusReference.js';
import { freePort } from '../support/stack.js';

const script = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'tools', 'janus-reference.sh');

export interface ReferenceRecordPlay {
  wsUrl: string;
  stop(): void;
}

export async function startReferenceRecordPlay(folder: string): Promise<ReferenceRecordPlay | undefined> {
  if (!referenceJanusAvailable()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'janus-rp-'));
  const [http, ws, admin] = [await freePort(), await freePort(), await freePort()];
  // The script writes the configuration (ports, RTP range, the other plugins off) and starts janus: stopped
  // at once, then started again on the same configuration with Record&Play enabled.
  execFileSync('bash', [script, 'start', dir, String(http), String(ws), String(admin)], { stdio: 'pipe' });
  execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const conf = join(dir, 'conf');
  const jcfg = join(conf, 'janus.jcfg');
  writeFileSync(jcfg, readFileSync(jcfg, 'utf8').replace('libjanus_recordplay.so,', ''));
  writeFileSync(join(conf, 'janus.plugin.recordplay.jcfg'), `general: {\n  path = "${folder}"\n}\n`);
  const child = spawn('janus', ['-F', conf, '-L', join(dir, 'janus.log'), '-N'], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  const stop = () => {
    try {
      process.kill(child.pid!);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 50; i++) {
    const ok = await fetch(`http://127.0.0.1:${http}/janus/info`)
      .then((r) => r.json() as Promise<{ plugins?: Record<string, unknown> }>)
      .catch(() => undefined);
    if (ok?.plugins?.['janus.plugin.recordplay']) return { wsUrl: `ws://127.0.0.1:${ws}`, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error('the reference Janus did not start with Record&Play');
}
