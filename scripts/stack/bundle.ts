/**
 * Compiles a TypeScript entry point and the modules it imports into one JavaScript file under
 * `.tmp/build/`, so that its process runs on plain node: no TypeScript loader kept in memory (tsx's
 * loader and its esbuild service cost a relay ~45 MB of its ~120 at rest). Packages stay external
 * (loaded from node_modules as before); a linked source map keeps stack traces pointing at the .ts.
 */
import { build, stop } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The node version the bundles target: package.json's engines. */
const TARGET = 'node20';

/**
 * Builds `entry` (relative to `root`) into `.tmp/build/<name>.mjs` and returns that path. Several
 * stacks of one checkout may build at once: each file is written aside and renamed into place, so
 * a process starting meanwhile reads a whole file.
 */
export async function bundle(root: string, entry: string, name: string): Promise<string> {
  const dir = resolve(root, '.tmp', 'build');
  mkdirSync(dir, { recursive: true });
  const outfile = resolve(dir, `${name}.mjs`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: TARGET,
    packages: 'external',
    sourcemap: 'linked',
    write: false,
    logLevel: 'silent',
  });
  // Its service process would otherwise stay for as long as the stack runs.
  await stop();
  for (const file of result.outputFiles) {
    const aside = `${file.path}.${process.pid}.tmp`;
    writeFileSync(aside, file.contents);
    renameSync(aside, file.path);
  }
  return outfile;
}
