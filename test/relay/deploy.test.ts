/**
 * The relay as a service (issue 16): deploy/Dockerfile and deploy/relay.service. The image's build
 * stage is replayed here on what the image copies (its bundling command, taken from the
 * Dockerfile), the bundle runs, and its run-time packages are the ones the image installs; the
 * image itself is built and run when a docker or podman daemon answers (skipped with a message
 * otherwise).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RELAY_RUNTIME_PACKAGES } from '../../deploy/runtimePackage.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
const unit = readFileSync(join(root, 'deploy/relay.service'), 'utf8');

/** The container engine whose daemon answers, if any. */
function engine(): string | undefined {
  for (const cmd of ['docker', 'podman']) {
    const r = spawnSync(cmd, ['info'], { stdio: 'ignore', timeout: 20_000 });
    if (r.status === 0) return cmd;
  }
  return undefined;
}
const containers = engine();
if (!containers) process.stderr.write('deploy.test.ts: image build skipped, no docker or podman daemon answers\n');

describe('deploy/Dockerfile', () => {
  const work = mkdtempSync(join(tmpdir(), 'relay-image-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is a node:20 image that runs as a non-root user, drains on SIGTERM and checks /health', () => {
    expect(dockerfile).toMatch(/^FROM node:20\S* AS build$/m);
    const run = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(run).toMatch(/^FROM node:20/m);
    expect(run).toMatch(/^USER node$/m);
    expect(run).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(run).toMatch(/RELAY_DRAIN_GRACE_SEC=\d+/);
    expect(run).toMatch(/^HEALTHCHECK .*\n.*\/health/m);
  });

  it('its build stage bundles the relay from only what it copies, and the bundle loads only the packages it installs', () => {
    // what the build stage copies, and node_modules as `npm ci` left it
    for (const path of ['package.json', 'tsconfig.json', 'shared', 'relay', 'deploy/runtimePackage.mjs'])
      cpSync(join(root, path), join(work, path), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
    const bundling = /RUN mkdir -p \/app \\\n([\s\S]*?)&& cd \/app/.exec(dockerfile)?.[1];
    expect(bundling).toBeDefined();
    const app = join(work, 'app');
    mkdirSync(app);
    const script = bundling!
      .replace(/\/app\//g, `${app}/`)
      .replace(/\\\n/g, ' ')
      .replace(/^\s*&&/, '');
    execFileSync('sh', ['-c', script], { cwd: work, stdio: 'pipe' });
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...RELAY_RUNTIME_PACKAGES].sort());
    const bundle = readFileSync(join(app, 'relay.mjs'), 'utf8');
    const bare = new Set<string>();
    // static imports, and what createRequire loads or resolves (koffi, opus's wasm, werift's tweetnacl)
    const specifiers = /(?:from |import\()"([^".][^"]*)"|\)\("([^".][^"]*)"\)|resolve\(["`]([^".`][^"`]*)["`]/g;
    for (const m of bundle.matchAll(specifiers)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith('node:')) continue;
      bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
    expect([...bare].sort()).toEqual([...RELAY_RUNTIME_PACKAGES].sort());
    // the bundle starts (with the checkout's packages) and refuses a missing configuration with exit 2
    symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
    const r = spawnSync(process.execPath, [join(app, 'relay.mjs')], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/RELAY_SECRET/);
  }, 60_000);

  it.skipIf(!containers)(
    'builds with docker or podman; the image runs the relay as a non-root user',
    () => {
      const tag = 'janus-edge-relay:test';
      execFileSync(containers!, ['build', '-f', 'deploy/Dockerfile', '-t', tag, '.'], {
        cwd: root,
        stdio: 'pipe',
        timeout: 900_000,
      });
      const uid = execFileSync(containers!, ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { encoding: 'utf8' });
      expect(Number(uid.trim())).not.toBe(0);
      const r = spawnSync(containers!, ['run', '--rm', tag], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(2); // no EDGE_URL / RELAY_SECRET: a clear configuration error
      expect(r.stderr).toMatch(/invalid relay configuration/);
    },
    900_000,
  );
});

describe('deploy/relay.service', () => {
  it('runs as its own user, drains on SIGTERM for less than systemd waits, and does not restart a bad configuration', () => {
    expect(unit).toMatch(/^User=janus-relay$/m);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^KillMode=mixed$/m);
    const grace = Number(/RELAY_DRAIN_GRACE_SEC=(\d+)/.exec(unit)?.[1]);
    const stop = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]);
    expect(stop).toBeGreaterThan(grace + 10); // the relay's own limit is grace + 10 s
    expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node .*relay\.mjs$/m);
  });
});
