import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';
import { reofferProblems } from '../videoroom/support/offerChecks.js';
import { Participant, publish } from '../videoroom/support/participant.js';

if (!chromiumAvailable)
  console.warn('browser subscriber test skipped: Debian chromium (/usr/bin/chromium) is not installed');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Installs a bare RTCPeerConnection on the page, playing the subscriber side of janus.js. */
async function installSubscriber(page: Page): Promise<void> {
  await page.evaluate(() => {
    const pc = new RTCPeerConnection();
    const w = window as any;
    w.pc = pc;
    w.states = [] as string[];
    pc.onconnectionstatechange = () => w.states.push(pc.connectionState);
    // Non-trickle answer: the SDP once gathering is done (the relay gets the candidates in it).
    w.answer = async (sdp: string) => {
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      if (pc.iceGatheringState !== 'complete')
        await new Promise<void>((res) => {
          const done = () => pc.iceGatheringState === 'complete' && res();
          pc.addEventListener('icegatheringstatechange', done);
          setTimeout(res, 3000);
        });
      return pc.localDescription!.sdp;
    };
    w.videoPackets = async () => {
      let n = 0;
      (await pc.getStats()).forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.packetsReceived ?? 0;
      });
      return n;
    };
  });
}

const answer = (page: Page, sdp: string) => page.evaluate((s) => (window as any).answer(s) as Promise<string>, sdp);
const videoPackets = (page: Page) => page.evaluate(() => (window as any).videoPackets() as Promise<number>);
const pcState = (page: Page) =>
  page.evaluate(() => ({
    now: (window as any).pc.connectionState as string,
    seen: (window as any).states as string[],
  }));

async function waitPackets(page: Page, above: number, what: string): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const n = await videoPackets(page);
    if (n > above) return n;
    if (Date.now() > deadline)
      throw new Error(`${what}: ${n} video packets; pc ${JSON.stringify(await pcState(page))}`);
    await sleep(200);
  }
}

/**
 * The bug the demo page found: a Chromium subscriber whose last publisher leaves must keep its
 * PeerConnection (the relay's re-offer keeps the m-lines on the bundle, as Janus does), and a later
 * `subscribe` brings a new publisher's media over the same transport.
 */
describe.skipIf(!chromiumAvailable)('VideoRoom subscriber in Chromium losing its last feed', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('answers the all-inactive offer, stays connected, then receives a new publisher', async () => {
    const admin = await Participant.connect(stack);
    const room = 9_500_000 + Math.floor(Math.random() * 1e5);
    await admin.sync({ request: 'create', room, publishers: 4 });
    const a = await publish(stack, room, 1);
    a.client.startSending(a.video, 20);
    const page = await browser.newPage();
    await installSubscriber(page);
    const s = await Participant.connect(stack);
    const attached = await s.ask({ request: 'join', ptype: 'subscriber', room, streams: [{ feed: 1 }] });
    expect(attached.plugindata.data.videoroom, JSON.stringify(attached)).toBe('attached');
    const first = await answer(page, attached.jsep.sdp);
    expect((await s.ask({ request: 'start' }, { type: 'answer', sdp: first })).plugindata.data).toMatchObject({
      started: 'ok',
    });
    await waitPackets(page, 10, 'video from the first publisher');

    // The only publisher leaves: Chromium answers the all-inactive offer and keeps its transport.
    expect((await a.p.ask({ request: 'leave' })).plugindata.data).toMatchObject({ leaving: 'ok' });
    await a.client.close();
    const updated = await s.waitData((d) => d.videoroom === 'updated', 'the offer without the feed');
    expect(reofferProblems(updated.jsep.sdp)).toEqual([]);
    const second = await answer(page, updated.jsep.sdp);
    expect(/^a=group:BUNDLE \S+/m.test(second), second).toBe(true);
    const started = await s.ask({ request: 'start' }, { type: 'answer', sdp: second });
    expect(started.plugindata?.data, JSON.stringify(started)).toMatchObject({ started: 'ok' });
    await sleep(4000);
    expect(s.janus.events.filter((m) => m.janus === 'hangup')).toEqual([]);
    expect(await pcState(page)).toEqual({ now: 'connected', seen: ['connecting', 'connected'] });

    // A new publisher, subscribed on the same handle: its video reaches the same PeerConnection.
    const b = await publish(stack, room, 2);
    b.client.startSending(b.video, 20);
    const more = await s.ask({ request: 'subscribe', streams: [{ feed: 2 }] });
    expect(more.plugindata.data.videoroom, JSON.stringify(more)).toBe('updated');
    expect(reofferProblems(more.jsep.sdp)).toEqual([]);
    const third = await answer(page, more.jsep.sdp);
    expect((await s.ask({ request: 'start' }, { type: 'answer', sdp: third })).plugindata.data).toMatchObject({
      started: 'ok',
    });
    const before = await videoPackets(page);
    await waitPackets(page, before + 20, 'video from the new publisher');
    expect(s.janus.events.filter((m) => m.janus === 'hangup')).toEqual([]);

    await page.close();
    await b.client.close();
    for (const p of [admin, a.p, b.p, s]) await p.close();
  }, 120_000);
});
