import type { ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demosSkipped as skipped,
  DemoRig,
  dialogText,
  pluginRequests,
  transports,
  type DemoPage,
  type Transport,
} from './support/demoPage.js';

if (skipped) console.warn(`Meetecho's AudioBridge demo skipped: ${skipped}; .ci/run installs it`);

/**
 * Debian packages no bootstrap-slider, which the page loads for spatial audio only (room 1234 has
 * none): its two 404s are the packaging's, not ours. The API's answers are checked apart.
 */
const missingSlider = (msg: ConsoleMessage) =>
  msg.text().startsWith('Failed to load resource') && /bootstrap-slider/.test(msg.location().url);

/**
 * Audio energy the page's PeerConnection received (inbound-rtp `totalAudioEnergy`, which Chromium
 * counts from the decoded samples the remote <audio> plays). The page keeps its handle in the global
 * `mixertest` (janus.js's `webrtcStuff.pc`).
 */
const receivedEnergy = (page: Page) =>
  page.evaluate(async () => {
    const w = window as unknown as { mixertest?: { webrtcStuff?: { pc?: RTCPeerConnection } } };
    const pc = w.mixertest?.webrtcStuff?.pc;
    if (!pc) return 0;
    let energy = 0;
    (await pc.getStats()).forEach((s: { type: string; kind?: string; totalAudioEnergy?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') energy += s.totalAudioEnergy ?? 0;
    });
    return energy;
  });

/** Audio energy received during the next `ms` milliseconds. */
async function energyIn(page: Page, ms: number): Promise<number> {
  const before = await receivedEnergy(page);
  await page.waitForTimeout(ms);
  return (await receivedEnergy(page)) - before;
}

/** Waits until the page hears something (its energy grows by more than `min` within 2 s windows). */
async function hears(demo: DemoPage, what: string, min = 1e-4): Promise<number> {
  const deadline = Date.now() + 20_000;
  let energy = 0;
  while (Date.now() < deadline) {
    energy = await energyIn(demo.page, 2_000);
    if (energy > min) return energy;
  }
  throw new Error(`${what}: received energy ${energy}\nconsole:\n${demo.console.slice(-40).join('\n')}`);
}

/**
 * Meetecho's audiobridgetest.html (Debian janus-demos, unmodified but for settings.js) against
 * `npm start`: two users join the configured room 1234, each hears the other through the mix, and
 * see each other in the participant list, muted or not; Stop leaves the room.
 */
describe.skipIf(skipped !== undefined)("Meetecho's audiobridgetest.html in Chromium", () => {
  const rig = new DemoRig();
  const { pages } = rig;
  beforeAll(() => rig.start());
  afterAll(() => rig.stop());

  const open = (transport: Transport) => rig.open('audiobridgetest.html', transport, missingSlider);

  /** The user pressed Start, typed `name` and "Join the room": the mix plays in the page's <audio>. */
  async function join(demo: DemoPage, name: string): Promise<void> {
    await demo.page.click('#start');
    await demo.page.waitForSelector('#username', { state: 'visible', timeout: 15_000 });
    await demo.page.fill('#username', name);
    await demo.page.click('#register');
    await demo.page.waitForSelector('#roomaudio', { state: 'attached', timeout: 20_000 }).catch(async (err) => {
      throw new Error(`${name}: no mix (${String(err)})\ndialog: ${await dialogText(demo.page)}`, { cause: err });
    });
    await demo.page.waitForSelector('#toggleaudio', { state: 'visible' });
  }

  /** The participant list entry (`#rp<id>`) showing `display`, as the page renders it. */
  const entryOf = (page: Page, display: string) => page.locator('#list li', { hasText: display });

  async function clean(demo: DemoPage): Promise<void> {
    expect(await dialogText(demo.page)).toBeNull();
    expect(demo.problems, `console:\n${demo.console.slice(-60).join('\n')}`).toEqual([]);
  }

  /** Stop (janus.destroy(), then the page reloads), then the tab closes. */
  async function stop(demo: DemoPage): Promise<void> {
    const button = demo.page.locator('#start', { hasText: 'Stop' });
    await Promise.all([demo.page.waitForEvent('load', { timeout: 15_000 }), button.click({ timeout: 5_000 })]);
  }

  async function closeAll(): Promise<void> {
    for (const { page } of pages.splice(0)) await page.close({ runBeforeUnload: true }).catch(() => undefined);
  }

  /** Synchronous AudioBridge requests over the Janus HTTP API, on a session of their own. */
  const audioBridge = (bodies: object[]) => pluginRequests(rig.stack, 'janus.plugin.audiobridge', bodies);

  /** The displays in room 1234, as `listparticipants` says, once it says `want` (or after 20 s). */
  async function roomHolds(want: string[]): Promise<string[]> {
    const deadline = Date.now() + 20_000;
    let displays: string[];
    do {
      const [{ participants }] = await audioBridge([{ request: 'listparticipants', room: 1234 }]);
      displays = (participants as Array<{ display?: string }>).map((p) => p.display ?? '').sort();
      if (JSON.stringify(displays) === JSON.stringify([...want].sort())) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    return displays;
  }

  it('room 1234 is there before anyone created it, with the jcfg’s settings', async () => {
    const [exists, listed, create] = await audioBridge([
      { request: 'exists', room: 1234 },
      { request: 'list' },
      { request: 'create', room: 1234 },
    ]);
    expect(exists).toMatchObject({ exists: true });
    expect((listed!.list as Array<Record<string, unknown>>).find((r) => r.room === 1234)).toMatchObject({
      description: 'Demo Room',
      sampling_rate: 16000,
      record: false,
    });
    expect(create).toMatchObject({ error_code: 486 });
  });

  for (const transport of transports) {
    it(`over ${transport}: two users join room 1234, hear each other, see each other muted, and leave`, async () => {
      try {
        // Names of their own per transport: a page of a failed run may linger until its session times out.
        const [aliceName, bobName] = [`alice${transport}`, `bob${transport}`];
        const alice = await open(transport);
        await join(alice, aliceName);
        // Alone, Alice's mix leaves her own voice out: silence.
        await alice.page.waitForTimeout(1_500);
        const alone = await energyIn(alice.page, 2_000);
        expect(alone).toBeLessThan(1e-5);

        const bob = await open(transport);
        await join(bob, bobName);
        // Each hears the other's tone (Chromium's fake microphone beeps).
        const aliceHears = await hears(alice, 'alice hears bob');
        const bobHears = await hears(bob, 'bob hears alice');
        expect(aliceHears).toBeGreaterThan(alone * 10);
        expect(bobHears).toBeGreaterThan(1e-4);
        // Each sees the other in the list (and itself as the participant label), set up and unmuted.
        await entryOf(alice.page, bobName).waitFor({ timeout: 10_000 });
        await entryOf(bob.page, aliceName).waitFor({ timeout: 10_000 });
        expect(await alice.page.textContent('#participant')).toBe(aliceName);
        expect(await bob.page.textContent('#participant')).toBe(bobName);
        expect(await entryOf(alice.page, bobName).locator('i.abmuted').isVisible()).toBe(false);
        expect(await entryOf(alice.page, bobName).locator('i.absetup').isVisible()).toBe(false);
        expect(await roomHolds([aliceName, bobName])).toEqual([aliceName, bobName].sort());

        // Bob mutes himself: Alice's page shows him muted, and she stops hearing him.
        await bob.page.click('#toggleaudio');
        await entryOf(alice.page, bobName).locator('i.abmuted').waitFor({ state: 'visible', timeout: 10_000 });
        await alice.page.waitForTimeout(1_000);
        expect(await energyIn(alice.page, 2_000)).toBeLessThan(aliceHears / 10);
        // Unmuted, he is heard again.
        await bob.page.click('#toggleaudio');
        await entryOf(alice.page, bobName).locator('i.abmuted').waitFor({ state: 'hidden', timeout: 10_000 });
        await hears(alice, 'alice hears bob again');

        await clean(alice);
        await clean(bob);
        // Bob presses Stop: he leaves Alice's list and the room.
        await stop(bob);
        await entryOf(alice.page, bobName).waitFor({ state: 'detached', timeout: 10_000 });
        expect(await roomHolds([aliceName])).toEqual([aliceName]);
        await stop(alice);
        expect(await roomHolds([])).toEqual([]);
      } finally {
        await closeAll();
      }
    }, 120_000);
  }
});
