import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';
import { pluginRequests } from './support/demoPage.js';

if (!chromiumAvailable)
  console.warn('AudioBridge page skipped: Debian chromium (/usr/bin/chromium) is not installed; .ci/run installs it');

const WAIT = { timeout: 30_000 };

/** What a page's participant list shows, by name: the classes a person sees as "(muted)", "(talking)". */
const listed = (page: Page) =>
  page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('#participants li')].map((li) => [
        li.querySelector('.name')?.textContent ?? '',
        { muted: li.classList.contains('muted'), talking: li.classList.contains('talking') },
      ]),
    ),
  );

const errorText = (page: Page) =>
  page.evaluate(() => {
    const e = document.getElementById('error');
    return e && !e.hidden ? e.textContent : null;
  });

/** Audio energy the page's PeerConnection received (inbound-rtp `totalAudioEnergy` of the mix it plays). */
const receivedEnergy = (page: Page) =>
  page.evaluate(async () => {
    const pc = (window as unknown as { ab: { pc(): RTCPeerConnection | null } }).ab.pc();
    if (!pc) return 0;
    let energy = 0;
    (await pc.getStats()).forEach((s: { type: string; kind?: string; totalAudioEnergy?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') energy += s.totalAudioEnergy ?? 0;
    });
    return energy;
  });

/** Waits until the page hears something: its received energy grows by more than `min` within a 2 s window. */
async function hears(page: Page, what: string, min = 1e-4): Promise<number> {
  const deadline = Date.now() + 20_000;
  let energy = 0;
  while (Date.now() < deadline) {
    const before = await receivedEnergy(page);
    await page.waitForTimeout(2_000);
    energy = (await receivedEnergy(page)) - before;
    if (energy > min) return energy;
  }
  throw new Error(`${what}: received energy ${energy}; error ${await errorText(page)}`);
}

/** Waits until `page` lists `name` in a state that satisfies `check` (or, with `check` null, no longer lists it). */
async function waitForEntry(
  page: Page,
  name: string,
  check: ((e: { muted: boolean; talking: boolean }) => boolean) | null,
  what: string,
): Promise<void> {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const entry = (await listed(page))[name];
    if (check ? entry && check(entry) : !entry) return;
    if (Date.now() > deadline)
      throw new Error(`${what}: ${name} is ${JSON.stringify(entry)}; error ${await errorText(page)}`);
    await page.waitForTimeout(100);
  }
}

/**
 * Our AudioBridge page (`/audiobridge.html`, unmodified janus.js) in headless Chromium with fake
 * microphones: two pages join the static room 1234, hear each other through the mix, list each other,
 * see a mute, and leave and join again. The steps share two pages and run in order.
 */
describe.skipIf(!chromiumAvailable)('AudioBridge demo page in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  /** Page errors, console errors and CSP violations of both pages: there must be none. */
  const problems: string[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    alice = await browser.newPage();
    bob = await browser.newPage();
    for (const [who, page] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      page.on('pageerror', (e) => problems.push(`${who}: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' || /Content Security Policy/i.test(m.text()))
          problems.push(`${who}: ${m.text()} ${m.location().url}`);
      });
    }
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('two pages join room 1234, hear each other and list each other', async () => {
    await alice.goto(`${stack.baseUrl}/audiobridge.html?autojoin=1&name=alice`);
    await alice.waitForFunction(() => (window as any).ab.joined, undefined, WAIT);
    await bob.goto(`${stack.baseUrl}/audiobridge.html?autojoin=1&name=bob`);
    await waitForEntry(alice, 'bob', (e) => !e.muted, 'bob at alice');
    await waitForEntry(bob, 'alice', (e) => !e.muted, 'alice at bob');
    expect(Object.keys(await listed(alice))).toEqual(['bob']);
    expect(Object.keys(await listed(bob))).toEqual(['alice']);
    // Chromium's fake microphone beeps: each hears the other's beeps in its mix.
    expect(await hears(alice, 'alice hears bob')).toBeGreaterThan(1e-4);
    expect(await hears(bob, 'bob hears alice')).toBeGreaterThan(1e-4);
    for (const page of [alice, bob]) expect(await errorText(page)).toBeNull();
    expect(problems).toEqual([]);
  }, 90_000);

  it('a mute shows on the other page, and the mix leaves the muted one out; unmuting undoes both', async () => {
    await bob.click('#mute');
    await waitForEntry(alice, 'bob', (e) => e.muted, 'bob muted at alice');
    expect(await bob.textContent('#mute')).toBe('Unmute mic');
    await alice.waitForTimeout(1_000);
    const before = await receivedEnergy(alice);
    await alice.waitForTimeout(2_000);
    expect((await receivedEnergy(alice)) - before).toBeLessThan(1e-4);

    await bob.click('#mute');
    await waitForEntry(alice, 'bob', (e) => !e.muted, 'bob unmuted at alice');
    await hears(alice, 'alice hears bob again');
    expect(problems).toEqual([]);
  }, 60_000);

  it('leaving empties the list and removes the entry at the other side; joining again without reload works', async () => {
    await bob.click('#leave');
    await waitForEntry(alice, 'bob', null, 'bob gone at alice');
    await bob.waitForFunction(() => document.querySelectorAll('#participants li').length === 0, undefined, WAIT);
    expect(await bob.isEnabled('#join-button')).toBe(true);
    expect(await bob.isDisabled('#leave')).toBe(true);

    await bob.click('#join-button');
    await waitForEntry(bob, 'alice', (e) => !e.muted, 'alice at bob after rejoining');
    await waitForEntry(alice, 'bob', (e) => !e.muted, 'bob at alice after rejoining');
    await hears(bob, 'bob hears alice after rejoining');
    for (const page of [alice, bob]) expect(await errorText(page)).toBeNull();
    expect(problems).toEqual([]);
  }, 90_000);

  it('a room that does not exist is shown with its Janus code, and the page can join again', async () => {
    await bob.click('#leave');
    await bob.waitForFunction(() => !(window as any).ab.joined, undefined, WAIT);
    await bob.fill('#room-id', '999999');
    await bob.click('#join-button');
    await bob.waitForFunction(() => !document.getElementById('error')!.hidden, undefined, WAIT);
    expect(await errorText(bob)).toMatch(/485/);
    expect(await bob.isEnabled('#join-button')).toBe(true);

    await bob.fill('#room-id', '1234');
    await bob.click('#join-button');
    await waitForEntry(alice, 'bob', (e) => !e.muted, 'bob back at alice');
    expect(await errorText(bob)).toBeNull();
    expect(problems).toEqual([]);
  }, 60_000);

  it('in a room with talking events, the other page shows who is talking', async () => {
    const room = 100 + Math.floor(Math.random() * 1e6);
    // Chromium's fake microphone beeps about once a second: a short window and a lenient level catch it.
    const [created] = await pluginRequests(stack, 'janus.plugin.audiobridge', [
      { request: 'create', room, audiolevel_event: true, audio_active_packets: 10, audio_level_average: 100 },
    ]);
    expect(created).toMatchObject({ audiobridge: 'created', room });
    for (const page of [alice, bob]) {
      await page.click('#leave');
      await page.waitForFunction(() => !(window as any).ab.joined, undefined, WAIT);
      await page.fill('#room-id', String(room));
      await page.click('#join-button');
    }
    await waitForEntry(alice, 'bob', (e) => e.talking, 'bob talking at alice');
    expect(await alice.textContent('#participants li')).toMatch(/talking/);
    for (const page of [alice, bob]) expect(await errorText(page)).toBeNull();
    expect(problems).toEqual([]);
  }, 60_000);
});
