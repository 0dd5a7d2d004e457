import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

describe('deployable Worker bundle', () => {
  it('`wrangler deploy --dry-run` builds the same code that runs locally', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edge-bundle-'));
    const { stdout } = await promisify(execFile)(
      join(root, 'node_modules/.bin/wrangler'),
      ['deploy', '--dry-run', '--outdir', out],
      {
        cwd: root,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      },
    );
    expect(stdout).toContain('--dry-run: exiting now');
    expect(stdout).toMatch(/env\.SESSION_SHARD \(SessionShard\)\s+Durable Object/);
    const bundle = join(out, 'index.js');
    expect(existsSync(bundle)).toBe(true);
    expect(statSync(bundle).size).toBeGreaterThan(10_000);
    const code = readFileSync(bundle, 'utf8');
    // Both Durable Object classes are exported by the bundle.
    expect(code).toMatch(/export\s*\{[^}]*\bSessionShard\b[^}]*\}/);
    expect(code).toMatch(/export\s*\{[^}]*\bCoreCoordinator\b[^}]*\}/);
  }, 120_000);
});
