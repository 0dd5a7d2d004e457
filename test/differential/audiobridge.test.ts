/**
 * Differential test of the AudioBridge (janus.plugin.audiobridge): the scripts of audiobridgeCases.ts
 * run against the reference Janus 1.1.2 and our stack, and the shapes, codes and message order must
 * agree (see core.test.ts for how steps are compared; accepted differences are in deliberate.ts).
 * Set DIFF_DUMP=1 to print both transcripts of every case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceJanusFor } from '../support/janusReference.js';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { AB_MEDIA_DIR, AB_TONE_FILE, audiobridgeCases } from './audiobridgeCases.js';
import { expectAsReference, ServerPair } from './serverPair.js';
const AB = 'janus.plugin.audiobridge';

/**
 * One server's event-handler webhook: the AudioBridge's plugin events (type 64), each as its data,
 * whether it names a handle, and the opaque id of the handle it names; a room id the server drew (`create` without one) is `<random>`, and the
 * time in a recording's default name `<µs>`. Left out: `recordingdone` of a participant's .mjr (Janus
 * tells nothing of those; ours has no `record_file`), and `announcement-*`, since whether a file the
 * script stops at once was mixed for a tick first is timing on either side (unit-tested instead).
 */
const leftOut = (data: Record<string, unknown> | undefined) =>
  /^announcement-/.test(String(data?.event)) || (data?.event === 'recordingdone' && !('record_file' in data));

/** What may differ between the servers' events by nature: drawn room ids, recording start times. */
function normalized(data: Record<string, any>): Record<string, unknown> {
  return {
    ...data,
    ...(data.room > 2 ** 32 ? { room: '<random>' } : {}),
    ...(typeof data.record_file === 'string'
      ? { record_file: data.record_file.replace(/-\d{13,}\.wav$/, '-<µs>.wav') }
      : {}),
  };
}

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
          if (e.type === 64 && e.event?.plugin === AB && !leftOut(e.event.data))
            this.events.push(
              JSON.stringify({
                data: normalized(e.event.data),
                namesHandle: e.handle_id !== undefined,
                ...(e.opaque_id !== undefined ? { opaque_id: e.opaque_id } : {}),
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
const available = referenceJanusFor('differential AudioBridge');

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
