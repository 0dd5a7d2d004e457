/**
 * Issue 15: the Streaming `recording` request through the whole stack. ffmpeg feeds a VP8 + Opus
 * mountpoint, `recording start` for 3 s, `stop`: the home relay wrote `<filename>.mjr` per stream,
 * janus-pp-rec converts both to about 3 s with the right codecs, and no file stays open. Bad input
 * answers Janus's codes and changes nothing; destroying a recording mountpoint closes its files.
 */
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import {
  convertAv,
  expectValidHeader,
  openRecordings,
  recordingToolsPresent,
  RecordingStack,
} from '../videoroom/support/recordedMedia.js';
import { resources, until } from './support/census.js';
import { avMedia, ffmpegSend, StreamingHandle } from './support/viewer.js';

if (!recordingToolsPresent)
  process.stderr.write('streaming recording tests skipped: ffmpeg, ffprobe or janus-pp-rec is missing\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A UDP hop between ffmpeg and a mountpoint port noting the RTP timestamps that pass while `noting`:
 * what was sent during the recording, whatever pace a loaded machine gave ffmpeg.
 */
class TimestampHop {
  noting = false;
  first: number | undefined;
  last = 0;
  private constructor(readonly socket: Socket) {}

  static async open(to: number): Promise<TimestampHop> {
    const socket = createSocket('udp4');
    const hop = new TimestampHop(socket);
    socket.on('message', (msg: Buffer) => {
      if (hop.noting && msg.length >= 12) {
        const ts = msg.readUInt32BE(4);
        hop.first ??= ts;
        hop.last = ts;
      }
      socket.send(msg, to, '127.0.0.1');
    });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return hop;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Seconds of media sent while noting (plus one frame). */
  seconds(clock: number, frame: number): number {
    return this.first === undefined ? 0 : (this.last - this.first) / clock + frame;
  }
}
/** A keyframe every 15 frames: the video file starts at the last one before `start` (≤ 0.5 s earlier). */
const GOP = 15;

describe.skipIf(!recordingToolsPresent)('Streaming: recording a mountpoint to .mjr (janus-pp-rec)', () => {
  const fixture = new RecordingStack();
  let stack: Stack;
  let root: string;
  let relayPid: number;
  beforeAll(async () => {
    ({ stack, root, relayPid } = await fixture.start('st-rec-'));
  }, 120_000);
  afterAll(() => fixture.stop());

  const openUnder = async (dir: string) => (await openRecordings(relayPid)).filter((p) => p.startsWith(`${dir}/`));
  let nextId = 7_000_000 + Math.floor(Math.random() * 1e6);

  /** A secret-protected A/V mountpoint fed by ffmpeg for `seconds`, through timestamp-noting hops. */
  async function fedMountpoint(admin: StreamingHandle, seconds: number) {
    const id = nextId++;
    const created = await admin.sync({ request: 'create', type: 'rtp', id, secret: 'pw', media: avMedia });
    expect(created.streaming).toBe('created');
    const ports = created.stream.ports as Array<{ mid: string; port: number }>;
    const port = (mid: string) => ports.find((p) => p.mid === mid)!.port;
    const hops = { a: await TimestampHop.open(port('a')), v: await TimestampHop.open(port('v')) };
    const ffmpeg = ffmpegSend('127.0.0.1', hops.a.port, hops.v.port, seconds, GOP);
    ffmpeg.on('exit', () => {
      for (const h of Object.values(hops)) h.socket.close();
    });
    await until(
      async () => {
        const info = await admin.sync({ request: 'info', id, secret: 'pw' });
        return (info.info.media as Array<{ age_ms?: number }>).every((m) => (m.age_ms ?? 1e9) < 500);
      },
      10_000,
      'media at the mountpoint',
    );
    return { id, ffmpeg, hops };
  }

  it(
    'start for 3 s then stop: both files convert to about 3 s, VP8 and Opus; info shows the recording',
    {
      timeout: 90_000,
    },
    async () => {
      const admin = await StreamingHandle.connect(stack);
      const { id, ffmpeg, hops } = await fedMountpoint(admin, 15);
      const dir = join(root, `mp-${id}`);
      try {
        hops.a.noting = hops.v.noting = true;
        const start = await admin.sync({
          request: 'recording',
          action: 'start',
          id,
          secret: 'pw',
          media: [
            { mid: 'a', filename: `${dir}/rec-audio` },
            { mid: 'v', filename: `${dir}/rec-video` },
          ],
        });
        expect(start).toEqual({ streaming: 'ok' });
        const startedAt = Date.now();
        expect((await openUnder(dir)).sort()).toEqual([`${dir}/rec-audio.mjr`, `${dir}/rec-video.mjr`]);
        const info = await admin.sync({ request: 'info', id, secret: 'pw' });
        expect(info.info.media.map((m: { recording?: string }) => m.recording)).toEqual([
          'rec-audio.mjr',
          'rec-video.mjr',
        ]);
        // without the secret, info tells nothing of it (Janus: admin only)
        const anon = await admin.sync({ request: 'info', id });
        expect(anon.info.media.every((m: { recording?: string }) => m.recording === undefined)).toBe(true);

        await sleep(3_000 - (Date.now() - startedAt));
        const stop = await admin.sync({
          request: 'recording',
          action: 'stop',
          id,
          secret: 'pw',
          media: [{ mid: 'a' }, { mid: 'v' }],
        });
        hops.a.noting = hops.v.noting = false;
        expect(stop).toEqual({ streaming: 'ok' });
        // the stop answers once the files are closed: nothing of them is held open
        expect(await openUnder(dir)).toEqual([]);
        const after = await admin.sync({ request: 'info', id, secret: 'pw' });
        expect(after.info.media.every((m: { recording?: string }) => m.recording === undefined)).toBe(true);

        await expectValidHeader(join(dir, 'rec-video.mjr'));
        const { video: v, audio: a } = convertAv(join(dir, 'rec-video.mjr'), join(dir, 'rec-audio.mjr'));
        // as long as what was sent while recording; video from the keyframe before the start (≤ one GOP earlier)
        const sentVideo = hops.v.seconds(90_000, 1 / 30);
        expect(sentVideo).toBeGreaterThan(2);
        expect(v.duration).toBeGreaterThan(sentVideo - 0.3);
        expect(v.duration).toBeLessThan(sentVideo + GOP / 30 + 0.3);
        expect(Math.abs(a.duration - hops.a.seconds(48_000, 0.02))).toBeLessThan(0.3);
        if (process.env.RECORDING_DUMP)
          process.stderr.write(
            `sent video ${sentVideo} s audio ${hops.a.seconds(48_000, 0.02)} s; files ${v.duration} s, ${a.duration} s\n`,
          );
      } finally {
        ffmpeg.kill('SIGKILL');
      }
      expect(await admin.sync({ request: 'destroy', id, secret: 'pw' })).toMatchObject({ streaming: 'destroyed' });
      await admin.close();
    },
  );

  it(
    'bad input answers Janus codes and changes nothing; destroy closes the files; ports and fds back',
    {
      timeout: 90_000,
    },
    async () => {
      const admin = await StreamingHandle.connect(stack);
      const before = await resources(stack, stack.relays[0]!.region);
      const { id, ffmpeg } = await fedMountpoint(admin, 20);
      const dir = join(root, `mp-${id}`);
      const code = async (body: Record<string, unknown>) =>
        (await admin.sync({ request: 'recording', ...body })).error_code ?? 'ok';
      const start = { action: 'start', id, secret: 'pw', media: [{ mid: 'v', filename: `${dir}/v` }] };
      try {
        expect(await code({ id })).toBe(453); // no action
        expect(await code({ action: 'pause', id })).toBe(454);
        expect(await code({ action: 'start' })).toBe(453); // no id
        expect(await code({ ...start, id: 424242 })).toBe(455);
        expect(await code({ ...start, secret: undefined })).toBe(453);
        expect(await code({ ...start, secret: 'nope' })).toBe(457);
        expect(await code({ action: 'start', id, secret: 'pw' })).toBe(452); // nothing to record
        expect(await code({ ...start, media: [{ mid: 'v', filename: 'relative/v' }] })).toBe(454);
        expect(await code({ ...start, media: [{ mid: 'v', filename: '/elsewhere/v' }] })).toBe(454); // outside the root
        expect(await code({ ...start, audio: true, media: undefined })).toBe(454); // start takes filenames
        expect(existsSync(dir)).toBe(false);
        expect(await openUnder(root)).toEqual([]);

        // a file the relay cannot open (a folder has its name): 459, and the audio opened beside it is closed
        const blocked = join(root, `blocked-${id}`);
        await mkdir(join(blocked, 'v.mjr'), { recursive: true });
        const both = [
          { mid: 'a', filename: `${blocked}/a` },
          { mid: 'v', filename: `${blocked}/v` },
        ];
        expect(await code({ ...start, media: both })).toBe(459);
        expect(await openUnder(root)).toEqual([]);
        const unrecorded = await admin.sync({ request: 'info', id, secret: 'pw' });
        expect(unrecorded.info.media.every((m: { recording?: string }) => m.recording === undefined)).toBe(true);

        expect(await code(start)).toBe('ok');
        expect(await openUnder(dir)).toEqual([`${dir}/v.mjr`]);
        // already recording: refused, and the audio named beside it does not start either
        expect(
          await code({
            ...start,
            media: [
              { mid: 'a', filename: `${dir}/a` },
              { mid: 'v', filename: `${dir}/v2` },
            ],
          }),
        ).toBe(452);
        expect(await code({ action: 'start', id, secret: 'pw', video: `${dir}/v3` })).toBe(452);
        expect(await openUnder(dir)).toEqual([`${dir}/v.mjr`]);
        expect((await readdir(dir)).sort()).toEqual(['v.mjr']);
        expect(await code({ action: 'stop', id, secret: 'pw' })).toBe(452); // nothing named

        // the deprecated syntax: audio by kind, beside the video already recording
        expect(await code({ action: 'start', id, secret: 'pw', audio: `${dir}/a` })).toBe('ok');
        expect((await openUnder(dir)).sort()).toEqual([`${dir}/a.mjr`, `${dir}/v.mjr`]);
        await sleep(1_000);
        // destroying the mountpoint closes its files
        expect(await admin.sync({ request: 'destroy', id, secret: 'pw' })).toMatchObject({ streaming: 'destroyed' });
        expect(await openUnder(dir)).toEqual([]);
        await expectValidHeader(join(dir, 'v.mjr'));
        await expectValidHeader(join(dir, 'a.mjr'));
      } finally {
        ffmpeg.kill('SIGKILL');
      }
      await until(
        async () => {
          const now = await resources(stack, stack.relays[0]!.region);
          return now.streaming.mountpoints === before.streaming.mountpoints &&
            now.streaming.sockets === before.streaming.sockets &&
            now.socketFds === before.socketFds
            ? now
            : undefined;
        },
        10_000,
        'the relay back to its baseline',
      );
      await admin.close();
    },
  );
});
