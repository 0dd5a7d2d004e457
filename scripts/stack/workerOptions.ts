/**
 * The Worker's Miniflare options as wrangler derives them from wrangler.toml (bindings, Durable
 * Objects, assets, compatibility), computed in a short-lived child process: importing wrangler
 * costs ~80 MB of heap and code that `npm start` would otherwise keep for as long as it runs.
 */
import { spawn } from 'node:child_process';

/** Run by `node --input-type=module`: prints the options as JSON, refusing anything JSON would change. */
const PRINT_OPTIONS = `
const { unstable_getMiniflareWorkerOptions } = await import('wrangler');
const { workerOptions } = unstable_getMiniflareWorkerOptions(process.argv[1]);
const refuse = (what, at) => {
  throw new Error('wrangler gave ' + what + ' at ' + at + ', which JSON cannot carry');
};
const check = (v, at) => {
  if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') refuse('a ' + typeof v, at);
  if (v === null || typeof v !== 'object') return;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) refuse('a ' + v.constructor?.name, at);
  for (const [k, x] of Object.entries(v)) {
    // An option set to undefined means the same to Miniflare as an absent one; in an array it would not.
    if (x === undefined && Array.isArray(v)) refuse('undefined', at + '.' + k);
    if (x !== undefined) check(x, at + '.' + k);
  }
};
check(workerOptions, 'workerOptions');
process.stdout.write(JSON.stringify(workerOptions));
`;

/** Miniflare's worker options; only the bindings are read here (the rest is passed on as it came). */
export type WorkerOptions = Record<string, unknown> & { bindings?: Record<string, string> };

export function workerOptions(root: string, wranglerToml: string): Promise<WorkerOptions> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PRINT_OPTIONS, wranglerToml], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', rej);
    child.once('exit', (code) => {
      if (code !== 0) return rej(new Error(`reading wrangler.toml failed (${code}): ${err}`));
      try {
        res(JSON.parse(out) as WorkerOptions);
      } catch (e) {
        rej(new Error(`reading wrangler.toml gave no JSON: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  });
}
