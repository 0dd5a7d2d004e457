import type { Page } from 'playwright-core';
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

if (skipped) console.warn(`Meetecho demos skipped: ${skipped}; .ci/run installs it`);

/**
 * The demos' own bug, not an answer of ours: when a remote track ends after its transceiver is gone,
 * janus.js names it by the track id, which videoroomtest.js puts unescaped into a jQuery selector.
 */
const demoOwnBug = (text: string) =>
  text.startsWith(
    'Error calling onremotetrack on removal Error: Syntax error, unrecognized expression: #remotevideo',
  ) || demoRace(text);

/**
 * The demos' own race, not an answer of ours: when a feed unpublishes, Janus (and we) send its
 * subscriber an `updated` offer as the other publishers hear `unpublished`; videoroomtest.js detaches
 * that subscriber handle on `unpublished`, and when the offer arrives before the detach's reply,
 * janus.js answers it on a handle it has just dropped: "Invalid handle", shown in an alert.
 */
const demoRace = (text: string) => /^(WebRTC error: )?Invalid handle$/.test(text);

/** Waits until the first video in `selector` decodes frames: width known, more than 10 frames shown. */
async function playsVideo(demo: DemoPage, selector: string): Promise<{ width: number; frames: number }> {
  const { page } = demo;
  await page
    .waitForFunction(
      (sel) => {
        const v = document.querySelector(sel) as HTMLVideoElement | null;
        return !!v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 10;
      },
      selector,
      { timeout: 30_000 },
    )
    .catch(async (err: unknown) => {
      const dialog = await dialogText(page);
      const tail = demo.console.slice(-40).join('\n');
      throw new Error(`${selector} never played (${String(err)})\ndialog: ${dialog}\nconsole:\n${tail}`, {
        cause: err,
      });
    });
  return page.evaluate((sel) => {
    const v = document.querySelector(sel) as HTMLVideoElement;
    return { width: v.videoWidth, frames: v.getVideoPlaybackQuality().totalVideoFrames };
  }, selector);
}

/** Video frames the element at `selector` decodes during the next `ms` milliseconds. */
async function framesIn(page: Page, selector: string, ms: number): Promise<number> {
  const count = () =>
    page.evaluate(
      (sel) => (document.querySelector(sel) as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames,
      selector,
    );
  const before = await count();
  await page.waitForTimeout(ms);
  return (await count()) - before;
}

/** The user clicked "Join the room" as `name` on videoroomtest.html or mvideoroomtest.html. */
async function register(demo: DemoPage, name: string): Promise<void> {
  await demo.page.click('#start');
  await demo.page.waitForSelector('#username', { state: 'visible', timeout: 15_000 });
  await demo.page.fill('#username', name);
  await demo.page.click('#register');
  // Published: the local video plays (the page publishes right after `joined`).
  await playsVideo(demo, '#videolocal video');
}

/** Meetecho's own demos (Debian janus-demos, unmodified but for settings.js) against `npm start`. */
describe.skipIf(skipped !== undefined)("Meetecho's janus-demos in Chromium", () => {
  const rig = new DemoRig();
  const { pages } = rig;
  beforeAll(() => rig.start());
  afterAll(() => rig.stop());

  /** A demo page, its settings.js pointing at the stack over `transport`. */
  const open = (path: string, transport: Transport) => rig.open(path, transport, (msg) => demoOwnBug(msg.text()));

  /** No error dialog, and nothing went wrong on the page. */
  async function clean(demo: DemoPage): Promise<void> {
    const dialog = await dialogText(demo.page);
    // The race's alert shows `error.message` of a string error: "WebRTC error... undefined".
    const raced = demo.console.some((line) => line === 'error: WebRTC error: Invalid handle');
    if (!(raced && dialog?.includes('WebRTC error... undefined'))) expect(dialog).toBeNull();
    expect(demo.problems, `console:\n${demo.console.slice(-60).join('\n')}`).toEqual([]);
  }

  /** The user pressed Stop on every open page (the demos destroy their session, then reload), then closed it. */
  async function closeAll(): Promise<void> {
    for (const { page } of pages.splice(0)) {
      const stop = page.locator('#start', { hasText: 'Stop' });
      // The button may be re-rendered while events arrive: wait for it rather than look once.
      await stop.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
      // A failed test may have left a dialog over the button: then the tab is just closed (janus.js destroys on unload).
      // Playwright's click now and then finds the button not clickable (seen under load) and gives up: the
      // DOM click then runs the same handler (janus.destroy()), as a user's second try would.
      if ((await stop.isVisible()) && (await dialogText(page)) === null)
        await Promise.all([
          page.waitForEvent('load', { timeout: 15_000 }),
          stop.click({ timeout: 5_000 }).catch(() => stop.dispatchEvent('click')),
        ]).catch(() => undefined);
      await page.close({ runBeforeUnload: true });
    }
  }

  /** Synchronous VideoRoom requests over the Janus HTTP API, on a session of their own. */
  const videoRoom = (bodies: object[]) => pluginRequests(rig.stack, 'janus.plugin.videoroom', bodies);

  it('the VideoRoom lists the sample room 1234 before anyone created it', async () => {
    const [exists, listed, create] = await videoRoom([
      { request: 'exists', room: 1234 },
      { request: 'list' },
      { request: 'create', room: 1234 },
    ]);
    expect(exists).toMatchObject({ exists: true });
    expect((listed!.list as Array<Record<string, unknown>>).find((r) => r.room === 1234)).toMatchObject({
      description: 'Demo Room',
      max_publishers: 6,
      bitrate: 128000,
      fir_freq: 10,
      record: false,
    });
    expect(create).toMatchObject({ error_code: 427 });
  });

  for (const transport of transports) {
    it(`echotest.html over ${transport}: the echo plays back and the bitrate display updates`, async () => {
      try {
        const demo = await open('echotest.html', transport);
        await demo.page.click('#start');
        const video = await playsVideo(demo, '#videoright video');
        expect(video.width).toBeGreaterThan(0);
        await demo.page.waitForFunction(() =>
          /kbits\/sec/.test(document.getElementById('curbitrate')?.textContent ?? ''),
        );
        // "Disable video" ({video:false}): the echo stops sending video back; enabled again, it resumes.
        await demo.page.click('#togglevideo');
        await demo.page.waitForTimeout(1_000);
        expect(await framesIn(demo.page, '#videoright video', 1_500)).toBeLessThan(5);
        await demo.page.click('#togglevideo');
        await demo.page.waitForTimeout(1_000);
        expect(await framesIn(demo.page, '#videoright video', 1_500)).toBeGreaterThan(10);
        // The bitrate menu ({bitrate:256000}) is answered without an error.
        await demo.page.click('#bitrateset');
        await demo.page.click('#bitrate a[id="256"]');
        await demo.page.waitForTimeout(500);
        await clean(demo);
      } finally {
        await closeAll();
      }
    }, 90_000);

    it(`devicetest.html over ${transport}: picks the devices, starts, and gets its echo back`, async () => {
      try {
        const demo = await open('devicetest.html', transport);
        await demo.page.click('#start');
        await demo.page.waitForSelector('#change-devices', { state: 'visible', timeout: 15_000 });
        // The user picks a microphone and a camera in the lists the page filled, then applies them.
        await demo.page.selectOption('#audio-device', { index: 0 });
        await demo.page.selectOption('#video-device', { index: 0 });
        await demo.page.click('#change-devices');
        await playsVideo(demo, '#videoright video');
        await clean(demo);
      } finally {
        await closeAll();
      }
    }, 90_000);

    for (const [file, title] of [
      ['videoroomtest.html', 'VideoRoom'],
      ['mvideoroomtest.html', 'multistream VideoRoom'],
    ] as const) {
      it(`${file} over ${transport}: two users join room 1234, publish, and each sees the other (${title})`, async () => {
        try {
          const alice = await open(file, transport);
          await register(alice, 'alice');
          const bob = await open(file, transport);
          await register(bob, 'bob');
          for (const [demo, other] of [
            [alice, 'bob'],
            [bob, 'alice'],
          ] as const) {
            await playsVideo(demo, '#videoremote1 video');
            expect(await demo.page.textContent('#remote1')).toBe(other);
            await clean(demo);
          }
          // Bob unpublishes: his video goes from Alice's page, and nothing on either page complains.
          await bob.page.click('#unpublish');
          await alice.page.waitForFunction(() => document.querySelectorAll('[id^="videoremote"] video').length === 0);
          await clean(alice);
          await clean(bob);
        } finally {
          await closeAll();
        }
        // Both pressed Stop (or closed the tab): their sessions end and nobody is left in the room. A tab
        // closed before its janus.js destroyed the session (seen now and then under load) leaves it to the
        // session timeout (60 s), which must empty the room as well: wait for either.
        const deadline = Date.now() + 75_000;
        let participants: unknown;
        do {
          [{ participants }] = await videoRoom([{ request: 'listparticipants', room: 1234 }]);
          if (Array.isArray(participants) && participants.length === 0) break;
          await new Promise((r) => setTimeout(r, 1000));
        } while (Date.now() < deadline);
        expect(participants, `the stack's output:\n${rig.stack.output().slice(-4000)}`).toEqual([]);
      }, 200_000);
    }
  }
});
