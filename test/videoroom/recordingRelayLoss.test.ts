/**
 * Issue 13: relay loss as an end of recording VideoRoom publishers. Each cycle a relay of our own
 * (the real relay process, as `npm start` runs it, in a region of its own) joins the stack; two
 * publishers of a recorded room send real VP8 + Opus (ffmpeg) through it, then the relay is lost:
 * - SIGKILL: nothing is flushed or reported, yet every file on disk keeps Janus's header and
 *   `janus-pp-rec` converts it, holding the media up to the kill (less at most the last second,
 *   which the write loop had not written yet); the edge hangs both up ("Relay lost") and the room
 *   unpublishes them: they stay in it as participants, as in Janus, none listed as a publisher.
 * - SIGTERM: the relay drains; every file is closed with all that was sent and reported to event
 *   handlers (type-64 `recordingdone`, whose size is the file's) before the relay exits 0; the
 *   publishers are hung up ("Relay shutdown") and unpublished as above.
 * CYCLES (default 4) alternate the two.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../shared/janus/events.js';
import { Webhook, waitUntil } from '../blackbox/support/janus.js';
import { streamInto, type FfmpegSource } from '../relay/recording/media.js';
import { spawnRelay, type RelayProcess } from '../relay/support/process.js';
import type { Stack } from '../support/stack.js';
import { Participant, publish } from './support/participant.js';
import { startRecordingStack, type RecordingStack } from './support/recordingStack.js';
import {
  convert,
  expectValidHeader,
  mediaClient,
  recordingToolsPresent,
  sentSeconds,
} from './support/recordedMedia.js';

const CYCLES = Number(process.env.CYCLES ?? 4);
const REGION = 'lossy';
const SECRET = 'rec';
const PUBLISHERS = [1, 2];
/** A low rate: a 64 KiB video chunk takes seconds to fill, so only the write loop's 1 s flush keeps a kill's loss small. */
const QVGA = { width: 320, height: 240, fps: 30, kbps: 150 };
/** What a SIGKILL may cost: the write loop writes partial chunks every second. */
const KILL_LOSS_S = 1.3;
const TOLERANCE_S = 0.3;

if (!recordingToolsPresent)
  process.stderr.write('recording relay-loss tests skipped: ffmpeg, ffprobe or janus-pp-rec is missing\n');

describe.skipIf(!recordingToolsPresent)('relay loss ends recording publishers', () => {
  let rec: RecordingStack | undefined;
  let stack: Stack;
  let hook: Webhook;
  let root: string;
  let admin: Participant;
  beforeAll(async () => {
    rec = await startRecordingStack('rec-loss-');
    ({ stack, hook, root } = rec);
    admin = await Participant.connect(stack);
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    await rec?.stop();
  });

  /** A relay in REGION, holding whatever is placed there until the test loses it. */
  function lossyRelay(cycle: number): Promise<RelayProcess> {
    return spawnRelay({
      RELAY_ID: `lossy-${cycle}`,
      RELAY_REGION: REGION,
      RELAY_SECRET: stack.relaySecret,
      EDGE_URL: stack.baseUrl,
      RELAY_ICE_PORT_MIN: '44520',
      RELAY_ICE_PORT_MAX: '44559',
      RELAY_REMOTE_PORT_MIN: '44560',
      RELAY_REMOTE_PORT_MAX: '44579',
      RELAY_RECORDINGS_ROOT: root,
    });
  }

  /** The `recordingdone` events handlers got for files under `dir`. */
  const closedIn = (dir: string) =>
    hook.events
      .filter((e) => e.type === EventType.PLUGIN)
      .map((e) => (e.event as { data: Record<string, any> }).data)
      .filter((d) => d.event === 'recordingdone' && String(d.path).startsWith(`${dir}/`));

  async function cycle(i: number, room: number): Promise<void> {
    const signal = i % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
    const dir = join(root, `c${i}-${signal}`);
    const relay = await lossyRelay(i);
    expect(await admin.sync({ request: 'create', room, secret: SECRET, record: true, rec_dir: dir })).toMatchObject({
      videoroom: 'created',
    });
    // a participant without media, elsewhere: it hears what the room says of the lost publishers
    const watcher = await Participant.connect(stack);
    expect((await watcher.ask({ request: 'join', ptype: 'publisher', room, id: 99 })).plugindata.data).toMatchObject({
      videoroom: 'joined',
    });
    const pubs = await Promise.all(
      PUBLISHERS.map(async (id) => publish(stack, room, id, await Participant.connect(stack, REGION))),
    );
    const sources: FfmpegSource[] = [];
    try {
      for (const { client } of pubs)
        sources.push(await streamInto(mediaClient(client), { seconds: 30, video: QVGA, audio: true }));
      await waitUntil(async () => (await readdir(dir)).length === 4, 10_000, `the files of cycle ${i}`);
      await new Promise((r) => setTimeout(r, 4000));
      // what was sent when the relay went: the files must hold (nearly) that much
      const sentAtLoss = sources.map((s) => ({ video: { ...s.sent.video }, audio: { ...s.sent.audio } }));
      relay.child.kill(signal);
      const exit = await relay.exited;
      for (const s of sources) s.stop();
      expect(exit).toEqual(signal === 'SIGKILL' ? { code: null, signal } : { code: 0, signal: null });

      // the edge hangs both publishers up (their clients hear why), the room unpublishes them
      for (const id of PUBLISHERS)
        await watcher.waitData((d) => d.unpublished === id, `publisher ${id} unpublished`, 10_000);
      const listed = (await admin.sync({ request: 'listparticipants', room })).participants as Array<
        Record<string, unknown>
      >;
      expect(listed.filter((p) => p.publisher === true)).toEqual([]);
      // as in Janus, a publisher whose PeerConnection is gone stays in the room, unpublished
      expect(listed.map((p) => p.id).sort()).toEqual([...PUBLISHERS, 99]);
      const reason = signal === 'SIGKILL' ? 'Relay lost' : 'Relay shutdown';
      for (const { p } of pubs)
        await p.janus.waitEvent(
          (m) => m.janus === 'hangup' && m.sender === p.handleId && m.reason === reason,
          10_000,
          `hangup (${reason})`,
        );

      const files = (await readdir(dir)).filter((f) => f.endsWith('.mjr')).map((f) => join(dir, f));
      expect(files).toHaveLength(4);
      if (signal === 'SIGTERM') {
        await waitUntil(() => closedIn(dir).length === 4, 10_000, 'recordingdone for every file');
        for (const e of closedIn(dir)) {
          expect(PUBLISHERS).toContain(e.id);
          expect(e).toMatchObject({ room, damaged: false, dropped: 0 });
          expect(e.error).toBeUndefined();
          expect(e.size, String(e.path)).toBe((await stat(String(e.path))).size);
        }
      } else expect(closedIn(dir)).toEqual([]);

      for (const [n, id] of PUBLISHERS.entries()) {
        for (const kind of ['audio', 'video'] as const) {
          const file = files.find((f) => f.includes(`-user-${id}-`) && f.includes(`-${kind}-`))!;
          await expectValidHeader(file);
          const got = convert(file);
          const sent = sentSeconds(sentAtLoss[n]![kind], kind);
          const what = `${signal} ${file}: ${got.duration} s of ${sent} s sent`;
          if (process.env.REC_DEBUG) process.stderr.write(`${what}\n`);
          expect(got.codec).toBe(kind === 'video' ? 'vp8' : 'opus');
          if (kind === 'video') expect(got).toMatchObject({ width: 320, height: 240 });
          expect(got.duration, what).toBeGreaterThan(sent - (signal === 'SIGKILL' ? KILL_LOSS_S : TOLERANCE_S));
          // after a SIGTERM the sources still ran while the relay drained
          expect(got.duration, what).toBeLessThan(sent + (signal === 'SIGKILL' ? TOLERANCE_S : 1));
        }
      }
    } finally {
      for (const s of sources) s.stop();
      relay.kill();
      for (const { client, p } of pubs) {
        await client.close();
        await p.close();
      }
      await watcher.close();
      await admin.sync({ request: 'destroy', room, secret: SECRET }).catch(() => undefined);
    }
  }

  it(
    `${CYCLES} relays lost mid-recording (SIGKILL, SIGTERM): files convert, handlers hear of SIGTERM's, the room drops the publishers`,
    async () => {
      const roomBase = 9_600_000 + Math.floor(Math.random() * 1e5) * 10;
      for (let i = 0; i < CYCLES; i++) await cycle(i, roomBase + i);
    },
    60_000 * CYCLES,
  );
});
