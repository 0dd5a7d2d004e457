// `npm start`: compiles the supervisor (scripts/start.ts and what it imports) into one JavaScript file
// and runs it on plain node, so that it does not keep a TypeScript loader in memory for as long as
// the stack runs (tsx's loader and its esbuild service: ~50 MB); scripts/stack/bundle.ts does the
// same for the relays. `node --import tsx scripts/start.ts` runs the same supervisor uncompiled.
//
// package.json runs it with three node flags, measured on the stack at rest (bench:rest, README):
// --max-semi-space-size=1: a young generation of 1 MB semi-spaces instead of 16; the supervisor
//   hardly allocates once started (it pipes logs and polls /health), and with 16 MB semi-spaces
//   the garbage of Miniflare's start-up stayed in them: 228 MB at rest instead of ~150.
// --expose-gc: lets start.ts collect that garbage once the stack is ready (stack/collectGarbage.ts).
// --v8-pool-size=1: one V8 background thread instead of one per core; each thread that allocates
//   gets a malloc arena of its own, which keeps what it freed: 108 MB at rest instead of 123 (and
//   112–147 from one start to the next). MALLOC_ARENA_MAX=1 would do more (95) but children
//   (workerd, relays) would inherit it.
// No source maps: node would load Miniflare's (6 MB) with them; the supervisor prints no stack traces.
import { build, stop } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const outfile = resolve(root, '.tmp', 'build', 'start.mjs');
mkdirSync(resolve(root, '.tmp', 'build'), { recursive: true });
const { outputFiles } = await build({
  absWorkingDir: root,
  entryPoints: ['scripts/start.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  write: false,
  logLevel: 'silent',
  // start.ts finds the checkout from where it lies, not from where its compiled copy does.
  define: { 'import.meta.dirname': JSON.stringify(resolve(root, 'scripts')) },
});
// esbuild's service process would otherwise stay for as long as we run.
await stop();
// Another stack of this checkout may be starting too: write aside, rename into place.
for (const file of outputFiles) {
  const aside = `${file.path}.${process.pid}.tmp`;
  writeFileSync(aside, file.contents);
  renameSync(aside, file.path);
}
await import(pathToFileURL(outfile).href);
