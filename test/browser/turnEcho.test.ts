import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';
import { coturnAvailable, coturnMissing, startCoturn, type Coturn } from '../turn/support/coturn.js';

if (!chromiumAvailable)
  console.warn('browser TURN EchoTest skipped: Debian chromium (/usr/bin/chromium) is not installed');
if (!coturnAvailable) console.warn(`browser TURN EchoTest skipped: ${coturnMissing}`);

/** What the page's PeerConnection reports: its selected pair's local candidate, and what it received. */
async function mediaStats(page: Page) {
  return page.evaluate(async () => {
    const pc = (window as any).echoHandle?.webrtcStuff?.pc as RTCPeerConnection | undefined;
    if (!pc) return undefined;
    const stats = [...(await pc.getStats()).values()] as any[];
    const pair = stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
    const local = pair ? stats.find((s) => s.id === pair.localCandidateId) : undefined;
    const inbound = (kind: string) => stats.find((s) => s.type === 'inbound-rtp' && s.kind === kind);
    return {
      localTypes: stats.filter((s) => s.type === 'local-candidate').map((s) => s.candidateType as string),
      selectedLocalType: local?.candidateType as string | undefined,
      framesDecoded: (inbound('video')?.framesDecoded ?? 0) as number,
      audioEnergy: (inbound('audio')?.totalAudioEnergy ?? 0) as number,
    };
  });
}

/**
 * The demo EchoTest page with ?relay=1 (iceTransportPolicy 'relay') in headless Chromium: it fetches
 * its credentials from /turn-credentials before `new Janus`, and its media goes through a real coturn.
 */
describe.skipIf(!chromiumAvailable || !coturnAvailable)('janus.js EchoTest in Chromium through coturn', () => {
  let coturn: Coturn;
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    coturn = await startCoturn();
    [stack, browser] = await Promise.all([
      startStack({ TURN_URLS: coturn.url, TURN_REST_SECRET: coturn.secret, TURN_TTL: '300' }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await coturn?.stop();
  });

  it('echoes video frames and audio energy with relay candidates only', async () => {
    const page = await browser.newPage();
    try {
      const before = coturn.allocations();
      const asked = page.waitForResponse((r) => r.url().includes('/turn-credentials'));
      await page.goto(`${stack.baseUrl}/echotest.html?relay=1`);
      expect((await asked).status()).toBe(200);
      await page.waitForFunction(() => (window as any).echo?.webrtcup === true, undefined, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).echo.turn)).toBe(true);
      await page.waitForFunction(
        () => {
          const v = document.getElementById('remote') as HTMLVideoElement;
          return v.videoWidth > 0 && (v.getVideoPlaybackQuality?.().totalVideoFrames ?? 0) > 10;
        },
        undefined,
        { timeout: 30_000 },
      );
      const stats = await mediaStats(page);
      expect(stats).toBeDefined();
      expect(new Set(stats!.localTypes)).toEqual(new Set(['relay']));
      expect(stats!.selectedLocalType).toBe('relay');
      expect(stats!.framesDecoded).toBeGreaterThan(10);
      expect(stats!.audioEnergy).toBeGreaterThan(0);
      expect(coturn.allocations()).toBeGreaterThan(before);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('gets no relay candidate and no media with a forged credential', async () => {
    const page = await browser.newPage();
    try {
      // The page's request reaches our endpoint; its answer is forged on the way back, as if signed with another secret.
      let username = '';
      await page.route('**/turn-credentials*', async (route) => {
        const res = await route.fetch();
        const body = (await res.json()) as { iceServers: Array<{ username: string; credential: string }> };
        username = body.iceServers[0]!.username;
        body.iceServers[0]!.credential = coturn.credential(Date.now() / 1000 + 300, 'not-the-secret').credential;
        await route.fulfill({ response: res, json: body });
      });
      await page.goto(`${stack.baseUrl}/echotest.html?relay=1`);
      await page.waitForFunction(() => (window as any).echoHandle?.webrtcStuff?.pc !== undefined, undefined, {
        timeout: 30_000,
      });
      await page.waitForTimeout(8_000);
      expect(await page.evaluate(() => (window as any).echo.webrtcup)).toBe(false);
      const stats = await mediaStats(page);
      expect(stats?.localTypes ?? []).not.toContain('relay');
      expect(stats?.framesDecoded ?? 0).toBe(0);
      expect(username).not.toBe('');
      expect(coturn.log()).toContain(`user <${username}>: incoming packet message processed, error 401: Unauthorized`);
    } finally {
      await page.close();
    }
  }, 90_000);
});
