import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
// The Worker's [assets] directory must exist before Miniflare starts (wrangler's [build] step makes it).
import './scripts/build-assets.mjs';

/**
 * Two projects: `workerd` runs coordinator tests inside the real workerd runtime (Miniflare);
 * `node` runs black-box, relay, browser and differential tests against real processes.
 */
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            main: './edge/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                SESSION_TIMEOUT: '60',
                RECLAIM_SESSION_TIMEOUT: '0',
                TEST_PLUGINS: 'true',
                LOG_LEVEL: 'silent',
                // a small fill, so that sessions spread over shards as they do at scale
                SHARD_FILL: '8',
              },
            },
          }),
        ],
        test: {
          name: 'workerd',
          include: ['test/workerd/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workerd/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
