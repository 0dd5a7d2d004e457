import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demosSkipped as skipped,
  DemoRig,
  dialogText,
  pluginRequests,
  transports,
  type DemoPage,
  type Transport,
} from '../browser/support/demoPage.js';
import { avMedia, ffmpegSend } from './support/viewer.js';

if (skipped) console.warn(`Meetecho's Streaming demo skipped: ${skipped}`);

/** Video frames the page's PeerConnection decoded (janus.js keeps it in the global `streaming` handle). */
const framesDecoded = (page: Page) =>
  page.evaluate(async () => {
    const w = window as unknown as { streaming?: { webrtcStuff?: { pc?: RTCPeerConnection } } };
    const pc = w.streaming?.webrtcStuff?.pc;
    if (!pc) return 0;
    let frames = 0;
    (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
    });
    return frames;
  });

/**
 * Meetecho's streamingtest.html (Debian janus-demos, unmodified but for settings.js) against
 * `npm start`: the page lists the mountpoint ffmpeg feeds, watches it, and Chromium decodes its VP8.
 */
describe.skipIf(skipped !== undefined)("Meetecho's streamingtest.html in Chromium", () => {
  const rig = new DemoRig();
  beforeAll(() => rig.start());
  afterAll(() => rig.stop());

  for (const transport of transports as Transport[]) {
    it(`over ${transport}: lists the mountpoint, watches it and decodes its video`, { timeout: 90_000 }, async () => {
      const id = 7_000_000 + Math.floor(Math.random() * 1e6);
      const [created] = await pluginRequests(rig.stack, 'janus.plugin.streaming', [
        {
          request: 'create',
          type: 'rtp',
          id,
          description: `ffmpeg ${transport}`,
          metadata: 'test pattern',
          media: avMedia,
        },
      ]);
      const ports = (created!.stream as { ports: Array<{ mid: string; port: number }> }).ports;
      const ffmpeg = ffmpegSend('127.0.0.1', ports[0]!.port, ports[1]!.port, 60);
      let demo: DemoPage | undefined;
      try {
        demo = await rig.open('streamingtest.html', transport);
        const page = demo.page;
        await page.click('#start');
        await page.waitForSelector('#streams:not(.hide)', { timeout: 15_000 });
        await page.click('#streamset');
        await page.click(`#streamslist a[id="${id}"]`);
        await page.click('#watch');
        await page.waitForSelector('#remotevideov', { state: 'attached', timeout: 20_000 });
        await expect.poll(() => framesDecoded(page), { timeout: 20_000, interval: 500 }).toBeGreaterThan(30);
        expect(await page.textContent('#metadata')).toBe('test pattern');
        expect(await dialogText(page)).toBeNull();
        expect(demo.problems, `console:\n${demo.console.slice(-60).join('\n')}`).toEqual([]);
        await page.click('#watch'); // Stop
        await expect
          .poll(
            async () => (await pluginRequests(rig.stack, 'janus.plugin.streaming', [{ request: 'info', id }]))[0]!.info,
            {
              timeout: 10_000,
            },
          )
          .toMatchObject({ viewers: 0 });
      } finally {
        ffmpeg.kill('SIGKILL');
        await demo?.page.close().catch(() => undefined);
        await pluginRequests(rig.stack, 'janus.plugin.streaming', [{ request: 'destroy', id }]);
      }
    });
  }
});
