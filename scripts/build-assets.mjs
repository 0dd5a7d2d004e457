// Wrangler's [build] step (runs before `wrangler dev` and `wrangler deploy`): gathers the static files
// the edge serves — our demo pages, plus janus.js and webrtc-adapter straight from their npm packages,
// unmodified — into .tmp/public, the [assets] directory.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, '.tmp/public');
const require = createRequire(import.meta.url);

/**
 * Writes only what differs, in place (never remove-and-recreate): every `wrangler dev` runs this
 * build, and a rewrite would make the other stacks on the machine, which watch this directory,
 * reload their Worker mid-test.
 */
function put(from, to) {
  const data = readFileSync(from);
  let same = false;
  try {
    same = readFileSync(to).equals(data);
  } catch {
    // not there yet
  }
  if (!same) writeFileSync(to, data);
}

mkdirSync(resolve(out, 'js'), { recursive: true });
for (const name of readdirSync(resolve(root, 'edge/demo'))) put(join(root, 'edge/demo', name), join(out, name));
put(
  resolve(dirname(require.resolve('janus-gateway/package.json')), 'npm/dist/janus.es.js'),
  resolve(out, 'js/janus.es.js'),
);
put(resolve(dirname(require.resolve('webrtc-adapter/package.json')), 'out/adapter.js'), resolve(out, 'js/adapter.js'));
