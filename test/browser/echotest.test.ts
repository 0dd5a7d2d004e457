import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

if (!chromiumAvailable)
  console.warn('browser EchoTest skipped: Debian chromium (/usr/bin/chromium) is not installed; .ci/run installs it');

/** The unmodified janus.js EchoTest flow in headless Chromium with a fake camera, through edge and relay. */
describe.skipIf(!chromiumAvailable)('janus.js EchoTest in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  for (const transport of ['ws', 'http'] as const) {
    it(`plays back the echoed video (janus.js over ${transport})`, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${stack.baseUrl}/echotest.html?transport=${transport}`);
        await page.waitForFunction(() => (window as any).echo?.webrtcup === true, undefined, { timeout: 30_000 });
        // Frames decoded from the echoed track: the remote video has a size and keeps advancing.
        await page.waitForFunction(
          () => {
            const v = document.getElementById('remote') as HTMLVideoElement;
            return v.videoWidth > 0 && (v.getVideoPlaybackQuality?.().totalVideoFrames ?? 0) > 10;
          },
          undefined,
          { timeout: 30_000 },
        );
        const video = await page.evaluate(() => {
          const v = document.getElementById('remote') as HTMLVideoElement;
          return {
            width: v.videoWidth,
            height: v.videoHeight,
            frames: v.getVideoPlaybackQuality().totalVideoFrames,
            result: (window as any).echo.result,
            error: (window as any).echo.error,
          };
        });
        expect(video.width).toBeGreaterThan(0);
        expect(video.frames).toBeGreaterThan(10);
        expect(video.result).toBe('ok');
        expect(video.error).toBeNull();
      } finally {
        await page.close();
      }
    }, 90_000);
  }
});
