import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  janusDemosAvailable,
  launchBrowser,
  serveJanusDemos,
  type DemoServer,
} from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

const fixtures = join(import.meta.dirname, 'fixtures');

/** Debian's settings.js pointed at the stack (as test/browser/janusDemos.test.ts does). */
const settings = (server: string) =>
  `var server = ${JSON.stringify(server)};\nvar iceServers = [];\nvar token = null;\nvar apisecret = null;\n`;

/** Meetecho's recordplaytest.html, unmodified, in headless Chromium: list, pick, play to the end, and stop. */
if (!chromiumAvailable || !janusDemosAvailable)
  process.stderr.write(
    'recordplaytest.html skipped: Debian chromium or janus-demos is not installed; .ci/run installs them\n',
  );
describe.skipIf(!chromiumAvailable || !janusDemosAvailable)('recordplaytest.html in Chromium', () => {
  let dir: string;
  let stack: Stack;
  let browser: Browser;
  let demos: DemoServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recordplay-demo-'));
    for (const f of ['fixture-audio.mjr', 'fixture-video.mjr']) copyFileSync(join(fixtures, f), join(dir, f));
    writeFileSync(
      join(dir, '4242.nfo'),
      '[4242]\nname = My fixture\ndate = 2026-12-06 13:08:00\naudio = fixture-audio.mjr\nvideo = fixture-video.mjr\n',
    );
    [stack, browser] = await Promise.all([startStack({ RELAY_RECORDPLAY_DIR: dir }), launchBrowser()]);
    demos = await serveJanusDemos();
  });
  afterAll(async () => {
    await browser?.close();
    await demos?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Packets the page's PeerConnection received, by kind. */
  const received = (page: Page) =>
    page.evaluate(async () => {
      const pc = (window as unknown as { recordplay?: { webrtcStuff?: { pc?: RTCPeerConnection } } }).recordplay
        ?.webrtcStuff?.pc;
      const out: Record<string, number> = {};
      if (!pc) return out;
      (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind) out[s.kind] = s.packetsReceived ?? 0;
      });
      return out;
    });

  for (const [transport, stopEarly] of [
    ['http', false],
    ['ws', false],
    ['ws', true],
  ] as const) {
    const what = stopEarly ? 'Stop ends it early' : 'it plays to the end';
    it(`over ${transport}: the recording is listed, ${what}, and the page is clean`, async () => {
      const page = await browser.newPage();
      const problems: string[] = [];
      const consoleLines: string[] = [];
      await page.route('**/settings.js', (route) =>
        route.fulfill({
          contentType: 'text/javascript',
          body: settings(transport === 'ws' ? stack.wsUrl : stack.httpUrl),
        }),
      );
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        consoleLines.push(`${msg.type()}: ${msg.text().slice(0, 300)}`);
        if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
      });
      try {
        await page.goto(demos.url + 'recordplaytest.html');
        await page.click('#start');
        const entry = page.locator('#recslist a[id="4242"]');
        await entry.waitFor({ state: 'attached', timeout: 15_000 });
        expect(await entry.textContent()).toBe('My fixture [2026-12-06 13:08:00]');
        await page.click('#recset');
        await entry.click();
        await page.click('#play');
        await page.locator('#videobox video').first().waitFor({ state: 'attached', timeout: 15_000 });
        // Packets arrive while it plays (the recording lasts 3 s).
        await expect.poll(async () => (await received(page)).video ?? 0, { timeout: 10_000 }).toBeGreaterThan(50);
        expect((await received(page)).audio ?? 0).toBeGreaterThan(50);
        if (stopEarly) {
          // Stop about a second into the 3 s recording: the page cleans up at once, not at the end.
          await page.click('#stop');
          await expect.poll(() => page.locator('#videobox video').count(), { timeout: 1_000 }).toBe(0);
        }
        // At the end (or at Stop) the PeerConnection closes: janus.js cleans up (the video goes).
        await expect.poll(() => page.locator('#videobox video').count(), { timeout: 15_000 }).toBe(0);
        const dialog = await page.evaluate(() => {
          const box = document.querySelector('.bootbox.modal');
          return box && (box as HTMLElement).offsetParent !== null ? (box.textContent ?? '').trim() : null;
        });
        expect(dialog).toBeNull();
        expect(problems, consoleLines.slice(-40).join('\n')).toEqual([]);
      } finally {
        await page.close({ runBeforeUnload: true });
      }
    });
  }
});
