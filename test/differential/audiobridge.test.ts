/**
 * Differential test of the AudioBridge (janus.plugin.audiobridge): the scripts of audiobridgeCases.ts
 * run against the reference Janus 1.1.2 and our stack, and the shapes, codes and message order must
 * agree (see core.test.ts for how steps are compared; accepted differences are in deliberate.ts).
 * Set DIFF_DUMP=1 to print both transcripts of every case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceJanusAvailable } from '../support/janusReference.js';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { AB_MEDIA_DIR, AB_TONE_FILE, audiobridgeCases } from './audiobridgeCases.js';
import { expectAsReference, ServerPair } from './serverPair.js';
const AB = 'janus.plugin.audiobridge';

/**
 * One server's event-handler webhook: the AudioBridge's plugin events (type 64), each as its data and
 * whether it names a handle; a room id the server drew (`create` without one) is `<random>`. Left out:
 * `recordingdone` (ours reports every closed file with its size, duration and packets, the .wav and
 * each participant's .mjr; Janus only the .wav's name), and `announcement-*`, since whether a file the
 * script stops at once was mixed for a tick first is timing on either side (unit-tested instead).
 */
const LEFT_OUT = /^(recordingdone|announcement-)/;

class AbHandlerEvents {
  private events: string[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        const parsed = JSON.parse(body) as unknown;
        for (const e of (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, any>>)
          if (e.type === 64 && e.event?.plugin === AB && !LEFT_OUT.test(String(e.event.data?.event)))
            this.events.push(
              JSON.stringify({
                data: { ...e.event.data, ...(e.event.data.room > 2 ** 32 ? { room: '<random>' } : {}) },
                namesHandle: e.handle_id !== undefined,
              }),
            );
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/events`;
  }

  /** What arrived since the last call, in a stable order (handles act concurrently). */
  take(): string[] {
    const out = this.events.sort();
    this.events = [];
    return out;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
const available = referenceJanusAvailable();

describe.skipIf(!available)('differential: AudioBridge vs reference Janus 1.1.2', () => {
  const servers = new ServerPair();
  const refEvents = new AbHandlerEvents();
  const ourEvents = new AbHandlerEvents();

  beforeAll(async () => {
    // The file both servers play, in the folder both record to.
    rmSync(AB_MEDIA_DIR, { recursive: true, force: true });
    mkdirSync(AB_MEDIA_DIR, { recursive: true });
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=660:duration=3'],
      ...['-c:a', 'libopus', '-b:a', '32k', AB_TONE_FILE],
    ]);
    const [refUrl, ourUrl] = [await refEvents.start(), await ourEvents.start()];
    await servers.start({ LOG_LEVEL: 'warn', EVENTS_URL: ourUrl }, refUrl);
  });

  afterAll(async () => {
    try {
      await servers.stop();
    } finally {
      rmSync(AB_MEDIA_DIR, { recursive: true, force: true });
      await refEvents.stop();
      await ourEvents.stop();
    }
  });

  for (const c of audiobridgeCases) {
    it(c.name, async () => {
      refEvents.take();
      ourEvents.take();
      const [r, o] = await servers.run(c);
      // the last events of a case (a hang-up's `left`) may still be on their way
      await new Promise((res) => setTimeout(res, 500));
      const [refHeard, ourHeard] = [refEvents.take(), ourEvents.take()];
      expectAsReference(c, r, o);
      expect(ourHeard, 'what event handlers hear (type 64)').toEqual(refHeard);
    });
  }
});
