import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

if (!chromiumAvailable)
  console.warn('browser demo page skipped: Debian chromium (/usr/bin/chromium) is not installed; .ci/run installs it');

const WAIT = { timeout: 30_000 };

/** What a page's grid shows of one tile, read from the DOM as a person sees it. */
interface TileView {
  name: string;
  where: string;
  audioMuted: boolean;
  videoMuted: boolean;
  frames: number;
}

/** The tiles of a page's grid: its own (`self`) and one per other participant, by name. */
const tiles = (page: Page) =>
  page.evaluate(() => {
    const out: Record<string, TileView> = {};
    for (const tile of document.querySelectorAll<HTMLElement>('#grid .tile')) {
      const video = tile.querySelector('video');
      const name = tile.querySelector('.name')?.textContent ?? '';
      out[tile.classList.contains('self') ? 'self' : name] = {
        name,
        where: tile.querySelector('.where')?.textContent ?? '',
        audioMuted: tile.classList.contains('audio-muted'),
        videoMuted: tile.classList.contains('video-muted'),
        frames: video && video.videoWidth > 0 ? video.getVideoPlaybackQuality().totalVideoFrames : 0,
      };
    }
    return out;
  });

/** Waits until the tile of `name` (or `self`) on `page` satisfies `check`. */
async function waitForTile(page: Page, name: string, check: (t: TileView) => boolean, what: string): Promise<TileView> {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const tile = (await tiles(page))[name];
    if (tile && check(tile)) return tile;
    if (Date.now() > deadline)
      throw new Error(`${what}: tile ${name} is ${JSON.stringify(tile)}; error ${await errorText(page)}`);
    await page.waitForTimeout(100);
  }
}

const errorText = (page: Page) =>
  page.evaluate(() => {
    const e = document.getElementById('error');
    return e && !e.hidden ? e.textContent : null;
  });

/** Whether the page's publisher PeerConnection sends an enabled track of `kind`. */
const sending = (page: Page, kind: 'audio' | 'video') =>
  page.evaluate((k) => (window as any).room.senders().find((s: { kind: string }) => s.kind === k)?.enabled, kind);

/**
 * The VideoRoom demo page at `/` (unmodified janus.js) in headless Chromium with fake cameras, on a
 * stack with relays in two regions. The steps share two pages and run in order.
 */
describe.skipIf(!chromiumAvailable)('VideoRoom demo page in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  const room = 100 + Math.floor(Math.random() * 1e6);
  const cspViolations: string[] = [];
  const relayOf = (region: string) => stack.relays.find((r) => r.region === region)!.id;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ RELAY_REGIONS: 'eu,us' }), launchBrowser()]);
    alice = await browser.newPage();
    bob = await browser.newPage();
    // The page must live with the CSP of edge/demo/_headers (no inline scripts, styles or handlers).
    for (const page of [alice, bob])
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('offers the regions of the connected relays', async () => {
    const res = await alice.goto(`${stack.baseUrl}/`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await alice.waitForFunction(() => document.querySelectorAll('#region option').length === 3, undefined, WAIT);
    const options = await alice.$$eval('#region option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(['', 'eu', 'us']);
    expect(await errorText(alice)).toBeNull();
  });

  it('two participants in two regions see each other’s name, region, relay and video', async () => {
    await alice.goto(`${stack.baseUrl}/?autojoin=1&room=${room}&name=alice&region=eu`);
    await bob.goto(`${stack.baseUrl}/?autojoin=1&room=${room}&name=bob&region=us`);
    const mine = await waitForTile(alice, 'self', (t) => t.where !== '' && t.frames > 0, 'alice’s own tile');
    expect(mine.name).toBe('alice (you)');
    expect(mine.where).toBe(`eu · ${relayOf('eu')}`);
    const bobSeen = await waitForTile(alice, 'bob', (t) => t.frames > 10, 'bob’s video at alice');
    expect(bobSeen.where).toBe(`us · ${relayOf('us')}`);
    const aliceSeen = await waitForTile(bob, 'alice', (t) => t.frames > 10, 'alice’s video at bob');
    expect(aliceSeen.where).toBe(`eu · ${relayOf('eu')}`);
    expect((await waitForTile(bob, 'self', (t) => t.where !== '', 'bob’s own tile')).where).toBe(
      `us · ${relayOf('us')}`,
    );
    expect(Object.keys(await tiles(alice)).sort()).toEqual(['bob', 'self']);
    for (const page of [alice, bob]) expect(await errorText(page)).toBeNull();
    expect(cspViolations).toEqual([]);
  }, 90_000);

  it('muting stops the sender’s track and the other side shows it; unmuting undoes both', async () => {
    expect(await sending(alice, 'audio')).toBe(true);
    await alice.click('#mute-audio');
    expect(await sending(alice, 'audio')).toBe(false);
    expect(await sending(alice, 'video')).toBe(true);
    await waitForTile(bob, 'alice', (t) => t.audioMuted && !t.videoMuted, 'alice muted at bob');
    expect((await tiles(alice)).self!.audioMuted).toBe(true);

    await alice.click('#mute-video');
    expect(await sending(alice, 'video')).toBe(false);
    await waitForTile(bob, 'alice', (t) => t.audioMuted && t.videoMuted, 'alice’s camera off at bob');

    await alice.click('#mute-audio');
    await alice.click('#mute-video');
    expect(await sending(alice, 'audio')).toBe(true);
    expect(await sending(alice, 'video')).toBe(true);
    await waitForTile(bob, 'alice', (t) => !t.audioMuted && !t.videoMuted, 'alice unmuted at bob');
  }, 60_000);

  it('leaving empties the grid and removes the tile at the other side; joining again without reload works', async () => {
    await bob.click('#leave');
    await alice.waitForFunction(() => !document.querySelector('#grid .tile:not(.self)'), undefined, WAIT);
    await bob.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 0, undefined, WAIT);
    expect(await bob.isEnabled('#join-button')).toBe(true);
    expect(await bob.isDisabled('#leave')).toBe(true);

    await bob.click('#join-button');
    await waitForTile(bob, 'alice', (t) => t.frames > 10, 'alice’s video at bob after rejoining');
    const back = await waitForTile(alice, 'bob', (t) => t.frames > 10, 'bob’s video at alice after rejoining');
    expect(back.where).toBe(`us · ${relayOf('us')}`);
    expect(Object.keys(await tiles(bob)).sort()).toEqual(['alice', 'self']);
    for (const page of [alice, bob]) expect(await errorText(page)).toBeNull();
  }, 90_000);

  it('a wrong room pin is shown on the page, and the page can join again', async () => {
    const pinned = room + 1;
    const carol = await browser.newPage();
    try {
      // Carol creates the room with a pin; Dave (on Bob's page, after leaving) tries a wrong one.
      await carol.goto(`${stack.baseUrl}/?autojoin=1&room=${pinned}&name=carol&pin=right`);
      await waitForTile(carol, 'self', (t) => t.where !== '', 'carol publishing');
      await bob.click('#leave');
      await bob.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 0, undefined, WAIT);
      await bob.fill('#room-id', String(pinned));
      await bob.fill('#name', 'dave');
      await bob.fill('#pin', 'wrong');
      await bob.click('#join-button');
      await bob.waitForFunction(() => !document.getElementById('error')!.hidden, undefined, WAIT);
      expect(await errorText(bob)).toMatch(/433.*pin/i);
      expect(await bob.isEnabled('#join-button')).toBe(true);
      expect(Object.keys(await tiles(carol))).toEqual(['self']);

      await bob.fill('#pin', 'right');
      await bob.click('#join-button');
      await waitForTile(bob, 'carol', (t) => t.frames > 0, 'carol at dave with the right pin');
      expect(await errorText(bob)).toBeNull();
    } finally {
      await carol.close();
    }
  }, 90_000);

  it('the server going away is shown on the page', async () => {
    await stack.stop();
    await alice.waitForFunction(() => !document.getElementById('error')!.hidden, undefined, WAIT);
    // The relays go first (their calls are hung up: "Relay shutdown"), or the edge: "Lost connection".
    expect(await errorText(alice)).toMatch(/relay shutdown|lost connection/i);
    expect(await alice.isEnabled('#join-button')).toBe(true);
  }, 60_000);
});
