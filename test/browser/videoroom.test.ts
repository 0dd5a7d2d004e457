import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

if (!chromiumAvailable)
  console.warn('browser VideoRoom skipped: Debian chromium (/usr/bin/chromium) is not installed; .ci/run installs it');

/** Decoded frames of the first remote video on a demo page (0 while there is none). */
const remoteFrames = (page: Page) =>
  page.evaluate(() => {
    const v = document.querySelector('#remotes video') as HTMLVideoElement | null;
    return v && v.videoWidth > 0 ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
  });

/** The demo page at `/` (unmodified janus.js) in two headless Chromium tabs with fake cameras. */
describe.skipIf(!chromiumAvailable)('VideoRoom demo page in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('two participants see each other’s video, and one leaving disappears from the other', async () => {
    const room = 100 + Math.floor(Math.random() * 1e6);
    const alice = await browser.newPage();
    const bob = await browser.newPage();
    try {
      await alice.goto(`${stack.baseUrl}/?autojoin=1&room=${room}&name=alice`);
      await alice.waitForFunction(() => (window as any).room?.publishing === true, undefined, { timeout: 30_000 });
      await bob.goto(`${stack.baseUrl}/?autojoin=1&room=${room}&name=bob`);
      for (const page of [alice, bob]) {
        await page.waitForFunction(() => Object.keys((window as any).room?.remoteFeeds ?? {}).length === 1, undefined, {
          timeout: 30_000,
        });
        await page.waitForFunction(
          () => {
            const v = document.querySelector('#remotes video') as HTMLVideoElement | null;
            return !!v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 10;
          },
          undefined,
          { timeout: 30_000 },
        );
        expect(await remoteFrames(page)).toBeGreaterThan(10);
        expect(await page.evaluate(() => (window as any).room.error)).toBeNull();
      }
      const caption = await alice.evaluate(() => document.querySelector('#remotes figcaption')?.textContent);
      expect(caption).toBe('bob');
      // Bob leaves: Alice's subscription is updated and his video goes away.
      await bob.click('#leave');
      await alice.waitForFunction(() => document.querySelectorAll('#remotes video').length === 0, undefined, {
        timeout: 15_000,
      });
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 120_000);
});
