/**
 * Issue 13: real VP8 + Opus (ffmpeg → werift) recorded through the whole stack (edge in workerd,
 * relay), converted by janus-pp-rec and checked by ffprobe: codec, resolution and the duration sent.
 * Room `record`, `configure` with a `filename`, `enable_recording` on and off, the EchoTest, and a
 * renegotiation that adds video to an audio-only publisher.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamInto, type SentStream } from '../relay/recording/media.js';
import { EchoClient } from '../relay/support/client.js';
import { JanusWs } from '../support/janusWs.js';
import type { Stack } from '../support/stack.js';
import { Participant } from './support/participant.js';
import {
  convertAv,
  expectValidHeader,
  mediaClient,
  recordingsOf,
  recordingToolsPresent,
  RecordingStack,
  sentSeconds,
  waitClosed,
} from './support/recordedMedia.js';

if (!recordingToolsPresent)
  process.stderr.write('recording media tests skipped: ffmpeg, ffprobe or janus-pp-rec is missing\n');

const QVGA = { width: 320, height: 240, fps: 30, kbps: 400 };
const TOLERANCE_S = 0.3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A VP8 file converts at 320×240 and an Opus one converts, each as long as what was sent (within TOLERANCE_S). */
function expectAsSent(video: { path: string; sent: SentStream }, audio: { path: string; sent: SentStream }): void {
  const { video: v, audio: a } = convertAv(video.path, audio.path);
  expect(Math.abs(v.duration - sentSeconds(video.sent, 'video'))).toBeLessThan(TOLERANCE_S);
  expect(Math.abs(a.duration - sentSeconds(audio.sent, 'audio'))).toBeLessThan(TOLERANCE_S);
}

describe.skipIf(!recordingToolsPresent)('recorded real media through the stack (janus-pp-rec, ffprobe)', () => {
  const fixture = new RecordingStack();
  let stack: Stack;
  let root: string;
  let relayPid: number;
  beforeAll(async () => {
    ({ stack, root, relayPid } = await fixture.start('rec-media-'));
  }, 120_000);
  afterAll(() => fixture.stop());

  let nextRoom = 9_400_000 + Math.floor(Math.random() * 1e5);
  /** A room recording into its own folder; `options` go to `create`. */
  async function recordedRoom(admin: Participant, options: Record<string, unknown>) {
    const room = nextRoom++;
    const dir = join(root, `room-${room}`);
    expect(await admin.sync({ request: 'create', room, rec_dir: dir, secret: 's', ...options })).toMatchObject({
      videoroom: 'created',
    });
    return { room, dir };
  }

  /** Joins and publishes audio (and video) from a werift client, with `extra` on the configure. */
  async function publisher(room: number, id: number, kinds: Array<'audio' | 'video'>, extra = {}) {
    const p = await Participant.connect(stack);
    expect((await p.ask({ request: 'join', ptype: 'publisher', room, id })).plugindata.data.videoroom).toBe('joined');
    const client = new EchoClient();
    for (const k of kinds) client.addMedia(k);
    const ev = await p.ask(
      { request: 'configure', audio: true, video: kinds.includes('video'), ...extra },
      { type: 'offer', sdp: await client.createOffer() },
    );
    expect(ev.plugindata.data, JSON.stringify(ev)).toMatchObject({ configured: 'ok' });
    await client.acceptAnswer(ev.jsep.sdp);
    await p.janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === p.handleId, 15_000, 'webrtcup');
    return { p, client };
  }

  it('a recorded room: 10 s of VP8 320x240 + Opus convert at the codec, size and length sent', async () => {
    const admin = await Participant.connect(stack);
    const { room, dir } = await recordedRoom(admin, { record: true });
    const { p, client } = await publisher(room, 1, ['audio', 'video']);
    try {
      const src = await streamInto(mediaClient(client), { seconds: 10, video: QVGA, audio: true });
      expect(await src.done).toBe(0);
      expect((await p.ask({ request: 'unpublish' })).plugindata.data).toMatchObject({ unpublished: 'ok' });
      await waitClosed(relayPid, dir);
      const [video] = await recordingsOf(dir, 'video');
      const [audio] = await recordingsOf(dir, 'audio');
      expect(video).toMatch(new RegExp(`/videoroom-${room}-user-1-\\d{16}-video-1\\.mjr$`));
      expect(audio).toMatch(new RegExp(`/videoroom-${room}-user-1-\\d{16}-audio-0\\.mjr$`));
      expectAsSent({ path: video!, sent: src.sent.video }, { path: audio!, sent: src.sent.audio });
    } finally {
      await client.close();
      await p.close();
      await admin.close();
    }
  }, 60_000);

  it('configure with a filename: <filename>-<kind>-<mindex>.mjr converts at the length sent', async () => {
    const admin = await Participant.connect(stack);
    const { room, dir } = await recordedRoom(admin, {});
    const { p, client } = await publisher(room, 1, ['audio', 'video'], { record: true, filename: 'alice' });
    try {
      const src = await streamInto(mediaClient(client), { seconds: 4, video: QVGA, audio: true });
      expect(await src.done).toBe(0);
      expect((await p.ask({ request: 'configure', record: false })).plugindata.data).toMatchObject({
        configured: 'ok',
      });
      await waitClosed(relayPid, dir);
      expect((await readdir(dir)).sort()).toEqual(['alice-audio-0.mjr', 'alice-video-1.mjr']);
      expectAsSent(
        { path: join(dir, 'alice-video-1.mjr'), sent: src.sent.video },
        { path: join(dir, 'alice-audio-0.mjr'), sent: src.sent.audio },
      );
    } finally {
      await client.close();
      await p.close();
      await admin.close();
    }
  }, 60_000);

  it('enable_recording on, then off, while publishing: the files hold about the time in between', async () => {
    const admin = await Participant.connect(stack);
    const { room, dir } = await recordedRoom(admin, {});
    const { p, client } = await publisher(room, 1, ['audio', 'video']);
    try {
      const src = await streamInto(mediaClient(client), { seconds: 7, video: QVGA, audio: true });
      await sleep(1500);
      const on = Date.now();
      const mediaAt = () => ({ video: src.sent.video.lastTs, audio: src.sent.audio.lastTs });
      const sentOn = mediaAt();
      expect(await admin.sync({ request: 'enable_recording', room, secret: 's', record: true })).toEqual({
        videoroom: 'success',
        record: true,
      });
      await sleep(3000);
      expect(await admin.sync({ request: 'enable_recording', room, secret: 's', record: false })).toEqual({
        videoroom: 'success',
        record: false,
      });
      const recorded = (Date.now() - on) / 1000;
      const sentOff = mediaAt();
      // A source stalled by a loaded machine catches up in a burst: the recording holds the media
      // time sent between the requests, which may then exceed the wall-clock time.
      const sentSpan = (kind: 'audio' | 'video', rate: number) => ((sentOff[kind] - sentOn[kind]) >>> 0) / rate;
      const most = (kind: 'audio' | 'video', rate: number) => Math.max(recorded, sentSpan(kind, rate));
      await waitClosed(relayPid, dir);
      expect(await src.done).toBe(0);
      const [video] = await recordingsOf(dir, 'video');
      const [audio] = await recordingsOf(dir, 'audio');
      const { video: v, audio: a } = convertAv(video!, audio!);
      // Between the requests' round trips: the first keyframe may come up to a GOP (1 s) late.
      expect(v.duration).toBeGreaterThan(recorded - 1.3);
      expect(v.duration).toBeLessThan(most('video', 90_000) + TOLERANCE_S);
      expect(a.duration).toBeGreaterThan(recorded - 0.5);
      expect(a.duration).toBeLessThan(most('audio', 48_000) + 0.5);
      // Off means off: the rest of the stream was not written.
      expect(a.duration).toBeLessThan(sentSeconds(src.sent.audio, 'audio') - 2);
    } finally {
      await client.close();
      await p.close();
      await admin.close();
    }
  }, 60_000);

  it('the EchoTest with record and filename: both kinds convert at the length sent', async () => {
    const dir = join(root, 'echo');
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, 'janus.plugin.echotest');
    const client = new EchoClient();
    client.addMedia('audio');
    client.addMedia('video');
    try {
      const ack = await janus.request({
        janus: 'message',
        session_id: sessionId,
        handle_id: handleId,
        body: { audio: true, video: true, record: true, filename: join(dir, 'echo1') },
        jsep: { type: 'offer', sdp: await client.createOffer() },
      });
      const ev = await janus.waitEvent(
        (m) => m.transaction === ack.transaction && m.janus === 'event',
        15_000,
        'answer',
      );
      expect(ev.plugindata.data).toEqual({ echotest: 'event', result: 'ok' });
      await client.acceptAnswer(ev.jsep.sdp);
      await client.connected(15_000);
      const src = await streamInto(mediaClient(client), { seconds: 4, video: QVGA, audio: true });
      expect(await src.done).toBe(0);
      await janus.request({ janus: 'hangup', session_id: sessionId, handle_id: handleId });
      await waitClosed(relayPid, dir);
      expect((await readdir(dir)).sort()).toEqual(['echo1-audio.mjr', 'echo1-video.mjr']);
      expectAsSent(
        { path: join(dir, 'echo1-video.mjr'), sent: src.sent.video },
        { path: join(dir, 'echo1-audio.mjr'), sent: src.sent.audio },
      );
    } finally {
      await client.close();
      await janus.close();
    }
  }, 60_000);

  it('a renegotiation that adds video to an audio-only recorded publisher opens a file for the new m-line; both convert', async () => {
    const admin = await Participant.connect(stack);
    const { room, dir } = await recordedRoom(admin, {});
    const { p, client } = await publisher(room, 1, ['audio'], { record: true, filename: 'bob' });
    try {
      const first = await streamInto(mediaClient(client), { seconds: 2, audio: true });
      expect(await first.done).toBe(0);
      expect((await readdir(dir)).sort()).toEqual(['bob-audio-0.mjr']);
      client.addMedia('video');
      const ev = await p.ask(
        { request: 'configure', audio: true, video: true },
        { type: 'offer', sdp: await client.createOffer() },
      );
      expect(ev.plugindata.data, JSON.stringify(ev)).toMatchObject({ configured: 'ok' });
      await client.acceptAnswer(ev.jsep.sdp);
      // only video now: the audio file holds exactly the first run, the video file the second
      const second = await streamInto(mediaClient(client), { seconds: 3, video: QVGA });
      expect(await second.done).toBe(0);
      expect((await p.ask({ request: 'unpublish' })).plugindata.data).toMatchObject({ unpublished: 'ok' });
      await waitClosed(relayPid, dir);
      expect((await readdir(dir)).sort()).toEqual(['bob-audio-0.mjr', 'bob-video-1.mjr']);
      expectAsSent(
        { path: join(dir, 'bob-video-1.mjr'), sent: second.sent.video },
        { path: join(dir, 'bob-audio-0.mjr'), sent: first.sent.audio },
      );
      for (const f of ['bob-audio-0.mjr', 'bob-video-1.mjr']) await expectValidHeader(join(dir, f));
    } finally {
      await client.close();
      await p.close();
      await admin.close();
    }
  }, 60_000);
});
