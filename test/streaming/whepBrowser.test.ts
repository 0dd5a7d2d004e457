import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';
import { connectedPage, decoded, edgeCounts, framesShown, pageError, stopPage } from '../whip/support/whipPages.js';
import { avMedia, ffmpegSend, StreamingHandle } from './support/viewer.js';

if (!chromiumAvailable) console.warn('browser WHEP of a mountpoint skipped: Debian chromium is not installed');

/**
 * /whep-player.html?mountpoint=<id> (nothing but fetch and an RTCPeerConnection that offers
 * recvonly audio and video, or with `offer=server` answers the relay's offer by PATCH) plays a mountpoint ffmpeg feeds: Chromium decodes its VP8, and the page's
 * DELETE brings the edge back to its counts and the mountpoint to no viewer.
 */
describe.skipIf(!chromiumAvailable)('WHEP of a Streaming mountpoint in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let admin: StreamingHandle;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    admin = await StreamingHandle.connect(stack);
  }, 120_000);
  afterAll(async () => {
    await admin?.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  for (const offerer of ['player', 'server'] as const)
    it(`the WHEP player page (${offerer === 'server' ? "answering the server's offer" : 'offering'}) decodes the mountpoint’s video frames, and its DELETE releases everything`, async () => {
      const keepalive = setInterval(
        () => void admin.janus.request({ janus: 'keepalive', session_id: admin.sessionId }),
        1000,
      );
      const id = 9_000_000 + Math.floor(Math.random() * 1e6);
      const created = await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia, pin: 'p1n' });
      const port = (mid: string) => created.stream.ports.find((p: { mid: string }) => p.mid === mid).port as number;
      const ffmpeg = ffmpegSend('127.0.0.1', port('a'), port('v'), 60);
      const base = await edgeCounts(stack);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      try {
        const mode = offerer === 'server' ? '&offer=server' : '';
        await page.goto(`${stack.baseUrl}/whep-player.html?mountpoint=${id}&token=p1n${mode}`);
        await connectedPage(page, 'whep');
        await framesShown(page);
        const d = await decoded(page);
        expect(d.width).toBe(320);
        expect(d.framesDecoded).toBeGreaterThan(10);
        expect((await admin.sync({ request: 'info', id })).info.viewers).toBe(1);

        expect(await stopPage(page, 'whep')).toBe(200);
        expect((await admin.sync({ request: 'info', id })).info.viewers).toBe(0);
        expect(await edgeCounts(stack)).toEqual(base);
        expect(errors).toEqual([]);
        expect(await pageError(page, 'whep')).toBeNull();
      } finally {
        await page.close();
        ffmpeg.kill('SIGKILL');
        clearInterval(keepalive);
      }
      await admin.sync({ request: 'destroy', id });
    }, 120_000);
});
