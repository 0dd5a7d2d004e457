/** What the Chromium tests of /whip-publisher.html and /whep-player.html share (window.whip / window.whep). */
import type { Page } from 'playwright-core';
import { getJsonOnFreshConnection as getJson } from '../../support/getJson.js';
import type { Stack } from '../../support/stack.js';

type PageName = 'whip' | 'whep';

/** Waits for the page's PeerConnection to connect; a failure says what the page's state was. */
export async function connectedPage(page: Page, name: PageName): Promise<void> {
  await page
    .waitForFunction((n) => (window as any)[n]?.connection === 'connected', name, { timeout: 30_000 })
    .catch(async (err: unknown) => {
      throw new Error(`${name} page: ${JSON.stringify(await page.evaluate((n) => (window as any)[n], name))} ${err}`);
    });
}

/** Waits for the page's <video id="remote"> to show more than `frames` frames. */
export async function framesShown(page: Page, frames = 10): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const v = document.getElementById('remote') as HTMLVideoElement;
      return v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > n;
    },
    frames,
    { timeout: 30_000 },
  );
}

/** Frames the player page's <video> showed (and its size), and those its PeerConnection decoded (getStats). */
export async function decoded(page: Page): Promise<{ width: number; frames: number; framesDecoded: number }> {
  return page.evaluate(async () => {
    const v = document.getElementById('remote') as HTMLVideoElement;
    let framesDecoded = 0;
    const pc = (window as any).whepPc as RTCPeerConnection | undefined;
    for (const s of (await pc?.getStats())?.values() ?? [])
      if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded ?? 0;
    return { width: v.videoWidth, frames: v.getVideoPlaybackQuality().totalVideoFrames, framesDecoded };
  });
}

/** Clicks the page's Stop (DELETE); returns the DELETE's status. */
export async function stopPage(page: Page, name: PageName): Promise<number> {
  await page.click('#stop');
  await page.waitForFunction((n) => (window as any)[n].ended !== null, name, { timeout: 10_000 });
  return page.evaluate((n) => (window as any)[n].ended as number, name);
}

/** The page's own error (null when none). */
export const pageError = (page: Page, name: PageName) => page.evaluate((n) => (window as any)[n].error, name);

/** The edge's sessions, handles and PeerConnections: back to a baseline once every resource ended. */
export async function edgeCounts(stack: Stack): Promise<{ s: number; h: number; pc: number }> {
  const c = await getJson(`${stack.baseUrl}/health?counts=1`);
  return { s: c.sessions, h: c.handles, pc: c.peerconnections };
}
