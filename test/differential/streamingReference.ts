/**
 * The reference Janus with its Streaming plugin: ../shared/tools/janus-reference.sh disables it, so
 * the script prepares a configuration directory, and Janus is restarted on it with the plugin enabled
 * and no configured mountpoints (Debian's sample ones would take fixed ports).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { referenceJanusAvailable, stopReferenceProcess, type ReferenceJanus } from '../support/janusReference.js';
import { freePort } from '../support/stack.js';

const script = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'tools', 'janus-reference.sh');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `general`: more lines of the plugin's `general` section (`admin_key = "…"`). */
export async function startReferenceWithStreaming(general = ''): Promise<ReferenceJanus | undefined> {
  if (!referenceJanusAvailable()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'janus-ref-streaming-'));
  const [http, ws, admin] = [await freePort(), await freePort(), await freePort()];
  execFileSync('bash', [script, 'start', dir, String(http), String(ws), String(admin)], { stdio: 'pipe', cwd: dir });
  execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore' });
  await sleep(300);
  const conf = join(dir, 'conf');
  const jcfg = join(conf, 'janus.jcfg');
  writeFileSync(jcfg, readFileSync(jcfg, 'utf8').replace('libjanus_streaming.so,', ''));
  writeFileSync(
    join(conf, 'janus.plugin.streaming.jcfg'),
    `general: {\n\trtp_port_range = "30000-39999"\n${general}}\n`,
  );
  const child = spawn('janus', ['-F', conf, '-L', join(dir, 'janus.log'), '-N'], {
    cwd: dir,
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  const url = `http://127.0.0.1:${http}/janus`;
  for (let i = 0; i < 50; i++) {
    if (
      await fetch(`${url}/info`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(200);
  }
  return {
    httpUrl: url,
    wsUrl: `ws://127.0.0.1:${ws}`,
    adminUrl: `http://127.0.0.1:${admin}/admin`,
    pid: child.pid!,
    stop: () => stopReferenceProcess(child.pid!),
  };
}
