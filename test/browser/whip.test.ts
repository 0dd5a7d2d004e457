import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant } from '../videoroom/support/participant.js';
import { connectedPage, decoded, edgeCounts, framesShown, pageError, stopPage } from '../whip/support/whipPages.js';

if (!chromiumAvailable)
  console.warn('browser WHIP/WHEP skipped: Debian chromium (/usr/bin/chromium) is not installed; .ci/run installs it');

/**
 * Two Chromium pages with nothing but fetch: /whip-publisher.html publishes the fake camera into a VideoRoom, and
 * /whep-player.html plays it back; the publisher restarts its ICE (RFC 9725 §4.4.1) and the player keeps
 * decoding, then the player restarts its own and its video keeps arriving; both end with DELETE and the
 * edge is back to its counts.
 */
describe.skipIf(!chromiumAvailable)('WHIP and WHEP in Chromium (fetch clients)', () => {
  let stack: Stack;
  let browser: Browser;
  let admin: Participant;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    admin = await Participant.connect(stack);
  }, 120_000);
  afterAll(async () => {
    await admin?.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  /** A new room, a page publishing into it over WHIP and a page playing that feed over WHEP (frames shown). */
  async function publishedAndPlayed() {
    const room = 6_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room, publishers: 4 });
    const base = await edgeCounts(stack);
    const publisher = await browser.newPage();
    const player = await browser.newPage();
    const errors: string[] = [];
    for (const p of [publisher, player]) p.on('pageerror', (e) => errors.push(String(e)));
    const pages = { room, base, publisher, player, errors };
    try {
      await publisher.goto(`${stack.baseUrl}/whip-publisher.html?room=${room}&display=chromium`);
      await connectedPage(publisher, 'whip');
      const listed = (await admin.sync({ request: 'listparticipants', room })).participants as Array<
        Record<string, any>
      >;
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ display: 'chromium', publisher: true });
      await player.goto(`${stack.baseUrl}/whep-player.html?room=${room}&feed=${listed[0]!.id}`);
      await connectedPage(player, 'whep');
      await framesShown(player);
      return pages;
    } catch (err) {
      await closePages(pages);
      throw err;
    }
  }

  const closePages = async (p: { publisher: Page; player: Page }) => {
    await p.publisher.close();
    await p.player.close();
  };

  it('a page publishes its camera over WHIP, a second page plays it over WHEP (frames decoded), the publisher restarts ICE, both DELETE', async () => {
    const pages = await publishedAndPlayed();
    const { room, base, publisher, player, errors } = pages;
    try {
      const d = await decoded(player);
      expect(d.width).toBeGreaterThan(0);
      expect(d.framesDecoded).toBeGreaterThan(10);

      // ICE restart from the browser: new credentials both ways, the player keeps decoding.
      const relayUfrag = () =>
        publisher.evaluate(() => /a=ice-ufrag:(\S+)/.exec((window as any).whipPc.remoteDescription.sdp)?.[1]);
      const before = await relayUfrag();
      await publisher.click('#restart');
      await publisher.waitForFunction(() => (window as any).whip.restarted !== null, undefined, { timeout: 15_000 });
      expect(await publisher.evaluate(() => (window as any).whip.restarted)).toBe(200);
      expect(await relayUfrag()).not.toBe(before);
      const atRestart = (await decoded(player)).framesDecoded;
      await player.waitForFunction(
        async (n) => {
          const pc = (window as any).whepPc as RTCPeerConnection;
          for (const s of (await pc.getStats()).values())
            if (s.type === 'inbound-rtp' && s.kind === 'video') return (s.framesDecoded ?? 0) > n;
          return false;
        },
        atRestart + 60,
        { timeout: 20_000 },
      );
      expect(await publisher.evaluate(() => (window as any).whip.connection)).toBe('connected');
      expect((await admin.sync({ request: 'listparticipants', room })).participants).toHaveLength(1);

      expect(await stopPage(player, 'whep')).toBe(200);
      expect(await stopPage(publisher, 'whip')).toBe(200);
      expect((await admin.sync({ request: 'listparticipants', room })).participants).toEqual([]);
      expect(await edgeCounts(stack)).toEqual(base);
      expect(errors).toEqual([]);
      expect(await pageError(publisher, 'whip')).toBeNull();
      expect(await pageError(player, 'whep')).toBeNull();
    } finally {
      await closePages(pages);
    }
  }, 120_000);

  it('the WHEP player page (it offered) restarts its ICE: new credentials both ways, its video keeps arriving', async () => {
    const pages = await publishedAndPlayed();
    const { base, publisher, player, errors } = pages;
    try {
      /** Both sides' ICE ufrags as the player page has them, and what its video receiver counts. */
      const playerState = () =>
        player.evaluate(async () => {
          const pc = (window as any).whepPc as RTCPeerConnection;
          const ufrag = (sdp?: string) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
          let bytes = 0;
          let frames = 0;
          for (const s of (await pc.getStats()).values())
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
              bytes = s.bytesReceived ?? 0;
              frames = s.framesDecoded ?? 0;
            }
          return { own: ufrag(pc.localDescription?.sdp), relay: ufrag(pc.remoteDescription?.sdp), bytes, frames };
        });
      const before = await playerState();
      expect(before.frames).toBeGreaterThan(10);

      // pc.restartIce(), the new offer's credentials PATCHed (If-Match: *), the fragment's applied to the last answer.
      await player.click('#restart');
      await player.waitForFunction(() => (window as any).whep.restarted !== null, undefined, { timeout: 15_000 });
      expect(await player.evaluate(() => (window as any).whep.restarted)).toBe(200);
      const restarted = await playerState();
      expect(restarted.own).not.toBe(before.own);
      expect(restarted.relay).not.toBe(before.relay);

      // Video keeps arriving and decoding over the new ICE session.
      await player.waitForFunction(
        async ([bytes, frames]) => {
          const pc = (window as any).whepPc as RTCPeerConnection;
          for (const s of (await pc.getStats()).values())
            if (s.type === 'inbound-rtp' && s.kind === 'video')
              return (s.bytesReceived ?? 0) > bytes! && (s.framesDecoded ?? 0) > frames! + 60;
          return false;
        },
        [restarted.bytes, restarted.frames],
        { timeout: 20_000 },
      );
      expect(await player.evaluate(() => (window as any).whep.connection)).toBe('connected');
      expect(await edgeCounts(stack)).toEqual({ s: base.s + 2, h: base.h + 2, pc: base.pc + 2 });

      expect(await stopPage(player, 'whep')).toBe(200);
      expect(await stopPage(publisher, 'whip')).toBe(200);
      expect(await edgeCounts(stack)).toEqual(base);
      expect(errors).toEqual([]);
      expect(await pageError(player, 'whep')).toBeNull();
    } finally {
      await closePages(pages);
    }
  }, 120_000);

  it('a janus.js participant (the demo page) sees the WHIP publisher’s video, and a WHEP page plays the janus.js publisher', async () => {
    const room = 6_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room, publishers: 4 });
    const alice = await browser.newPage();
    const publisher = await browser.newPage();
    const player = await browser.newPage();
    try {
      await alice.goto(`${stack.baseUrl}/?autojoin=1&room=${room}&name=alice`);
      await publisher.goto(`${stack.baseUrl}/whip-publisher.html?room=${room}&display=whip-cam`);
      // The WHIP publisher is a tile like any other at the janus.js page, its video decoded.
      await alice.waitForFunction(
        () =>
          [...document.querySelectorAll<HTMLElement>('#grid .tile:not(.self)')].some((t) => {
            const v = t.querySelector('video');
            return (
              t.querySelector('.name')?.textContent === 'whip-cam' &&
              !!v &&
              v.videoWidth > 0 &&
              v.getVideoPlaybackQuality().totalVideoFrames > 10
            );
          }),
        undefined,
        { timeout: 30_000 },
      );
      const alicePub = ((await admin.sync({ request: 'listparticipants', room })).participants as any[]).find(
        (p) => p.display === 'alice',
      );
      await player.goto(`${stack.baseUrl}/whep-player.html?room=${room}&feed=${alicePub.id}`);
      await framesShown(player);
      expect((await decoded(player)).framesDecoded).toBeGreaterThan(10);
    } finally {
      for (const p of [alice, publisher, player]) await p.close();
    }
  }, 120_000);
});
