// Wrangler's [build] step (runs before `wrangler dev` and `wrangler deploy`): gathers the static files
// the edge serves — our demo pages, plus janus.js and webrtc-adapter straight from their npm packages,
// unmodified — into .tmp/public, the [assets] directory.
import { cpSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, '.tmp/public');
const require = createRequire(import.meta.url);

// Files are overwritten in place (never a remove-and-recreate), so concurrent builds of two stacks
// on one machine cannot trip over each other.
mkdirSync(resolve(out, 'js'), { recursive: true });
cpSync(resolve(root, 'edge/demo'), out, { recursive: true });
cpSync(resolve(dirname(require.resolve('janus-gateway/package.json')), 'npm/dist/janus.es.js'), resolve(out, 'js/janus.es.js'));
cpSync(resolve(dirname(require.resolve('webrtc-adapter/package.json')), 'out/adapter.js'), resolve(out, 'js/adapter.js'));
