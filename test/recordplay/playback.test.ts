import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { openFilesUnder } from '../support/openFiles.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MjrFile } from '../../relay/recording/mjrReader.js';
import { scheduleTrack } from '../../relay/playback/schedule.js';
import { waitUntil } from '../blackbox/support/janus.js';
import { waitFor } from '../relay/support/client.js';
import { relayDebug, startStack, type Stack } from '../support/stack.js';
import { Viewer } from './viewer.js';
import { openRecordPlay, RP } from './recordPlayHandle.js';

const fixtures = join(import.meta.dirname, 'fixtures');

describe('Record&Play playback through edge and relay (recordings of the real Janus, werift viewer)', () => {
  let stack: Stack;
  let dir: string;
  const frames: Record<'audio' | 'video', Awaited<ReturnType<typeof MjrFile.open>>['index']['frames']> = {
    audio: [],
    video: [],
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recordplay-'));
    for (const f of ['fixture-audio.mjr', 'fixture-video.mjr']) copyFileSync(join(fixtures, f), join(dir, f));
    writeFileSync(
      join(dir, 'fixture.nfo'),
      '[4242]\nname = My fixture\ndate = 2026-12-06 13:08:00\naudio = fixture-audio.mjr\nvideo = fixture-video.mjr\n',
    );
    writeFileSync(
      join(dir, 'audio.nfo'),
      '[77]\nname = Audio only\ndate = 2026-12-06 13:09:00\naudio = fixture-audio\n',
    );
    // Not listed: a file that names no readable media, and one that points outside the folder.
    writeFileSync(join(dir, 'broken.nfo'), '[99]\nname = Broken\ndate = x\naudio = missing.mjr\n');
    writeFileSync(join(dir, 'escape.nfo'), '[98]\nname = Escape\ndate = x\naudio = ../fixture-audio.mjr\n');
    for (const kind of ['audio', 'video'] as const) {
      const mjr = await MjrFile.open(join(fixtures, `fixture-${kind}.mjr`));
      frames[kind] = mjr.index.frames;
      await mjr.close();
    }
    stack = await startStack({ RELAY_RECORDPLAY_DIR: dir });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const handle = () => openRecordPlay(stack);

  it('lists the folder as Janus does (reads .nfo files, codecs from the .mjr headers); update answers ok', async () => {
    const { janus, send } = await handle();
    const list = await send({ request: 'list' });
    expect(list.janus).toBe('success');
    // The reference Janus's answer for the same folder (ordered by .nfo file name here).
    expect(list.plugindata).toEqual({
      plugin: RP,
      data: {
        recordplay: 'list',
        list: [
          {
            id: 77,
            name: 'Audio only',
            date: '2026-12-06 13:09:00',
            audio: true,
            audio_codec: 'opus',
            video: false,
            data: false,
          },
          {
            id: 4242,
            name: 'My fixture',
            date: '2026-12-06 13:08:00',
            audio: true,
            audio_codec: 'opus',
            video: true,
            video_codec: 'vp8',
            data: false,
          },
        ],
      },
    });
    expect((await send({ request: 'UPDATE' })).plugindata.data).toEqual({ recordplay: 'ok' });
    await janus.close();
  });

  it('refuses bad requests with Janus error codes and changes nothing', async () => {
    const { janus, send, event } = await handle();
    const sync = async (body: Record<string, unknown>) => (await send(body)).plugindata.data;
    expect(await sync({})).toEqual({
      recordplay: 'event',
      error_code: 415,
      error: 'Missing mandatory element (request)',
    });
    expect(await sync({ request: 1 })).toEqual({
      recordplay: 'event',
      error_code: 414,
      error: 'Invalid element type (request should be a string)',
    });
    expect(await sync({ request: 'nope' })).toEqual({
      recordplay: 'event',
      error_code: 413,
      error: "Unknown request 'nope'",
    });
    const async = async (body: Record<string, unknown>, jsep?: Record<string, unknown>) => {
      const ack = await send(body, jsep);
      expect(ack.janus).toBe('ack');
      return (await event(ack.transaction)).plugindata.data;
    };
    expect(await async({ request: 'play' })).toMatchObject({
      error_code: 415,
      error: 'Missing mandatory element (id)',
    });
    expect(await async({ request: 'play', id: 'x' })).toMatchObject({
      error_code: 414,
      error: 'Invalid element type (id should be a positive integer)',
    });
    expect(await async({ request: 'play', id: -1 })).toMatchObject({ error_code: 414 });
    expect(await async({ request: 'play', id: 999 })).toMatchObject({ error_code: 416, error: 'No such recording' });
    expect(await async({ request: 'play', id: 98 })).toMatchObject({ error_code: 416 });
    expect(await async({ request: 'start' })).toMatchObject({
      error_code: 418,
      error: "Not a playout session, can't start",
    });
    expect(await async({ request: 'record', name: 'x' })).toMatchObject({
      error_code: 415,
      error: 'Missing SDP offer',
    });
    // Nothing was opened by any of them.
    expect(await async({ request: 'stop' })).toEqual({ recordplay: 'event', result: { status: 'stopped' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(janus.events.filter((m) => m.janus === 'hangup' || m.janus === 'webrtcup')).toEqual([]);
    await janus.close();
  });

  it('plays a recording: every recorded packet once, in order, continuous sequence numbers, recorded timing; then done', async () => {
    const { janus, handleId, send, event } = await handle();
    const ack = await send({ request: 'play', id: 4242 });
    const preparing = await event(ack.transaction);
    expect(preparing.plugindata.data).toEqual({ recordplay: 'event', result: { status: 'preparing', id: 4242 } });
    expect(preparing.jsep.type).toBe('offer');
    const offer: string = preparing.jsep.sdp;
    expect(offer).toMatch(/m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111\r\n/);
    expect(offer).toMatch(/a=rtpmap:111 opus\/48000\/2/);
    expect(offer).toMatch(/m=video \d+ UDP\/TLS\/RTP\/SAVPF 100\r\n/);
    expect(offer).toMatch(/a=rtpmap:100 VP8\/90000/);
    expect(offer.match(/a=sendonly/g)).toHaveLength(2);

    const viewer = new Viewer();
    const answer = await viewer.answer(offer);
    const startAck = await send({ request: 'start' }, { type: 'answer', sdp: answer });
    expect((await event(startAck.transaction)).plugindata.data).toEqual({
      recordplay: 'event',
      result: { status: 'playing' },
    });
    await janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === handleId, 10_000, 'webrtcup');
    const done = await janus.waitEvent(
      (m) => m.janus === 'event' && m.plugindata?.data?.result === 'done',
      15_000,
      'done',
    );
    expect(done.plugindata.data).toEqual({ recordplay: 'event', result: 'done' });
    await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 5_000, 'hangup');

    for (const kind of ['audio', 'video'] as const) {
      const got = viewer.got[kind];
      const expected = scheduleTrack(frames[kind], kind === 'audio' ? 48000 : 90000, 0, 0);
      // Every recorded packet arrives once (loopback: no loss).
      expect(got.length).toBe(frames[kind].length);
      expect(new Set(got.map((g) => g.pt))).toEqual(new Set([kind === 'audio' ? 111 : 100]));
      for (let i = 1; i < got.length; i++) {
        expect((got[i]!.seq - got[i - 1]!.seq) & 0xffff).toBe(1);
        // The timestamp spacing is the recorded one.
        expect((got[i]!.ts - got[i - 1]!.ts) >>> 0).toBe((expected.timestamp[i]! - expected.timestamp[i - 1]!) >>> 0);
      }
      // Timing: each packet arrives when its recorded timestamp says, on one timeline (the median offset
      // between arrival and due time: the first packet's own delay is not the reference).
      const offsets = got.map((g, i) => g.at - expected.dueMs[i]!).sort((a, b) => a - b);
      const median = offsets[Math.floor(offsets.length / 2)]!;
      const errors = got.map((g, i) => Math.abs(g.at - expected.dueMs[i]! - median)).sort((a, b) => a - b);
      const p95 = errors[Math.floor(errors.length * 0.95)]!;
      const max = errors.at(-1)!;
      // The arrival times are the test process's own (its werift viewer shares the 2 cores with the stack):
      // the bounds hold a whole run under load yet fail a player that is a frame off (20 ms audio, 33 ms video).
      expect(p95, `${kind} timing error p95 (ms)`).toBeLessThan(10);
      expect(max, `${kind} timing error max (ms)`).toBeLessThan(40);
    }
    await viewer.pc.close();
    await janus.close();
  });

  it('stop ends a playout early: stopped, then done and the PeerConnection is gone; the handle can play again', async () => {
    const { janus, handleId, send, event } = await handle();
    const relayPeers = async () => {
      const r = await relayDebug<{ peers: number; threadPeers: number }>(
        stack,
        stack.relays[0]!.httpUrl,
        '/debug/resources',
      );
      return r.peers + r.threadPeers;
    };
    // The previous test's viewers went with their sessions: this playout is the relay's only peer.
    await waitUntil(async () => (await relayPeers()) === 0, 5_000, 'no peer left on the relay');
    const ack = await send({ request: 'play', id: 77 });
    const preparing = await event(ack.transaction);
    expect(preparing.jsep.sdp).not.toMatch(/m=video/);
    const viewer = new Viewer();
    const startAck = await send({ request: 'start' }, { type: 'answer', sdp: await viewer.answer(preparing.jsep.sdp) });
    await event(startAck.transaction);
    await waitFor(() => viewer.got.audio.length > 10, 10_000, 'audio packets');
    const stopAck = await send({ request: 'stop' });
    expect((await event(stopAck.transaction)).plugindata.data).toEqual({
      recordplay: 'event',
      result: { status: 'stopped', id: 77 },
    });
    await janus.waitEvent((m) => m.plugindata?.data?.result === 'done', 5_000, 'done');
    await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 5_000, 'hangup');
    // The edge tells the relay to hang up without waiting on it (no API path waits on media work), so a
    // packet may still leave the relay just after the client hears `hangup`; once the relay's peer is
    // gone, nothing more may come.
    await waitUntil(async () => (await relayPeers()) === 0, 5_000, "the relay's playout peer gone");
    const count = viewer.got.audio.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(viewer.got.audio.length).toBe(count);
    expect(count).toBeLessThan(frames.audio.length);
    await viewer.pc.close();
    // A new play on the same handle works.
    const again = await send({ request: 'play', id: 77 });
    expect((await event(again.transaction)).plugindata.data).toMatchObject({ result: { status: 'preparing', id: 77 } });
    await janus.close();
  });

  const openRecordingFiles = () => openFilesUnder(stack.relays[0]!.pid, dir);

  it('releases the files, the peer and its timers on every way a playout ends', async () => {
    type Resources = { udpHandles: number; timers: number };
    const resources = () => relayDebug<Resources>(stack, stack.relays[0]!.httpUrl, '/debug/resources');
    // The previous test's last viewer went with its socket.
    await waitFor(() => openRecordingFiles() === 0, 5_000, 'no recording open');
    const before = await resources();
    const endings: Array<[string, (h: Awaited<ReturnType<typeof handle>>) => Promise<unknown>]> = [
      [
        'detach while preparing',
        (h) => h.janus.request({ janus: 'detach', session_id: h.session, handle_id: h.handleId }),
      ],
      [
        'hangup while playing',
        (h) => h.janus.request({ janus: 'hangup', session_id: h.session, handle_id: h.handleId }),
      ],
      ['session destroyed while playing', (h) => h.janus.request({ janus: 'destroy', session_id: h.session })],
      ['socket closed while playing', (h) => h.janus.close()],
    ];
    for (const [what, end] of endings) {
      const h = await handle();
      const ack = await h.send({ request: 'play', id: 4242 });
      const preparing = await h.event(ack.transaction);
      expect(openRecordingFiles(), what).toBe(2);
      const viewer = new Viewer();
      if (what !== 'detach while preparing') {
        const start = await h.send(
          { request: 'start' },
          { type: 'answer', sdp: await viewer.answer(preparing.jsep.sdp) },
        );
        await h.event(start.transaction);
        await waitFor(() => viewer.got.video.length > 5, 10_000, `${what}: video`);
      }
      await end(h);
      await waitFor(() => openRecordingFiles() === 0, 5_000, `${what}: files closed`);
      const count = viewer.got.audio.length + viewer.got.video.length;
      await new Promise((r) => setTimeout(r, 200));
      expect(viewer.got.audio.length + viewer.got.video.length, `${what}: nothing sent after the end`).toBe(count);
      await viewer.pc.close();
      await h.janus.close();
    }
    let now = await resources();
    for (let i = 0; i < 50 && (now.udpHandles > before.udpHandles || now.timers > before.timers); i++) {
      await new Promise((r) => setTimeout(r, 200));
      now = await resources();
    }
    expect(now.udpHandles).toBeLessThanOrEqual(before.udpHandles);
    expect(now.timers).toBeLessThanOrEqual(before.timers);
  });
});
