import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoRig, dialogText, demosSkipped } from '../browser/support/demoPage.js';

const fixtures = join(import.meta.dirname, 'fixtures');

/** Meetecho's recordplaytest.html, unmodified, in headless Chromium: list, pick, play to the end, and stop. */
if (demosSkipped) process.stderr.write(`recordplaytest.html skipped: ${demosSkipped}; .ci/run installs it\n`);
describe.skipIf(demosSkipped !== undefined)('recordplaytest.html in Chromium', () => {
  let dir: string;
  const rig = new DemoRig();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recordplay-demo-'));
    for (const f of ['fixture-audio.mjr', 'fixture-video.mjr']) copyFileSync(join(fixtures, f), join(dir, f));
    writeFileSync(
      join(dir, '4242.nfo'),
      '[4242]\nname = My fixture\ndate = 2026-12-06 13:08:00\naudio = fixture-audio.mjr\nvideo = fixture-video.mjr\n',
    );
    await rig.start({ RELAY_RECORDPLAY_DIR: dir });
  });
  afterAll(async () => {
    await rig.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Packets the page's PeerConnection received, by kind. */
  const received = (page: Page) =>
    page.evaluate(async () => {
      const pc = (window as unknown as { recordplay?: { webrtcStuff?: { pc?: RTCPeerConnection } } }).recordplay
        ?.webrtcStuff?.pc;
      const out: Record<string, number> = {};
      if (!pc) return out;
      (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind) out[s.kind] = s.packetsReceived ?? 0;
      });
      return out;
    });

  for (const [transport, stopEarly] of [
    ['http', false],
    ['ws', false],
    ['ws', true],
  ] as const) {
    const what = stopEarly ? 'Stop ends it early' : 'it plays to the end';
    it(`over ${transport}: the recording is listed, ${what}, and the page is clean`, async () => {
      const demo = await rig.open('recordplaytest.html', transport);
      const { page } = demo;
      try {
        await page.click('#start');
        const entry = page.locator('#recslist a[id="4242"]');
        await entry.waitFor({ state: 'attached', timeout: 15_000 });
        expect(await entry.textContent()).toBe('My fixture [2026-12-06 13:08:00]');
        await page.click('#recset');
        await entry.click();
        await page.click('#play');
        await page.locator('#videobox video').first().waitFor({ state: 'attached', timeout: 15_000 });
        // Packets arrive while it plays (the recording lasts 3 s).
        await expect.poll(async () => (await received(page)).video ?? 0, { timeout: 10_000 }).toBeGreaterThan(50);
        expect((await received(page)).audio ?? 0).toBeGreaterThan(50);
        if (stopEarly) {
          // Stop about a second into the 3 s recording: the page cleans up at once, not at the end.
          await page.click('#stop');
          await expect.poll(() => page.locator('#videobox video').count(), { timeout: 1_000 }).toBe(0);
        }
        // At the end (or at Stop) the PeerConnection closes: janus.js cleans up (the video goes).
        await expect.poll(() => page.locator('#videobox video').count(), { timeout: 15_000 }).toBe(0);
        expect(await dialogText(page)).toBeNull();
        expect(demo.problems, demo.console.slice(-40).join('\n')).toEqual([]);
      } finally {
        await page.close({ runBeforeUnload: true });
      }
    });
  }
});
