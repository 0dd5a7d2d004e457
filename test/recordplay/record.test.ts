import { spawnSync } from 'node:child_process';
import { openFilesUnder } from '../support/openFiles.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MjrFile } from '../../relay/recording/mjrReader.js';
import { have, streamInto } from '../relay/recording/media.js';
import { PubClient } from '../relay/sfu/support.js';
import { waitFor } from '../relay/support/client.js';
import { relayDebug, startStack, type Stack } from '../support/stack.js';
import { Viewer } from './viewer.js';
import { openRecordPlay } from './recordPlayHandle.js';

const tools = have('ffmpeg') && have('janus-pp-rec');
if (!tools) process.stderr.write('Record&Play record tests skipped: ffmpeg or janus-pp-rec is missing\n');

describe.skipIf(!tools)('Record&Play record through edge and relay (werift client sending VP8 + Opus)', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recordplay-rec-'));
    stack = await startStack({ RELAY_RECORDPLAY_DIR: dir });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const handle = () => openRecordPlay(stack);

  const openFiles = () => openFilesUnder(stack.relays[0]!.pid, dir);

  it('records 3 s, stop writes the .nfo; list shows it, play sends every recorded frame, janus-pp-rec reads the files', async () => {
    const h = await handle();
    const pub = new PubClient(1);
    const recording = await h.ask(
      { request: 'record', name: 'My talk', id: 5150 },
      { type: 'offer', sdp: await pub.offer() },
    );
    expect(recording.plugindata.data).toEqual({ recordplay: 'event', result: { status: 'recording', id: 5150 } });
    expect(recording.jsep.type).toBe('answer');
    const answer: string = recording.jsep.sdp;
    expect(answer.match(/a=recvonly/g)).toHaveLength(2);
    await pub.accept(answer);
    await pub.connected();
    await h.janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === h.handleId, 10_000, 'webrtcup');
    expect(openFiles()).toBe(2);
    // the id is taken while it is being recorded
    const other = await handle();
    const taken = await other.ask(
      { request: 'record', name: 'again', id: 5150 },
      { type: 'offer', sdp: await new PubClient(2).offer() },
    );
    expect(taken.plugindata.data).toEqual({
      recordplay: 'event',
      error_code: 420,
      error: 'Recording 5150 already exists',
    });

    const src = await streamInto(pub, {
      seconds: 3,
      video: { width: 176, height: 144, fps: 15, kbps: 200 },
      audio: true,
    });
    expect(await src.done).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    const stopped = await h.ask({ request: 'stop' });
    expect(stopped.plugindata.data).toEqual({ recordplay: 'event', result: { status: 'stopped', id: 5150 } });
    await h.janus.waitEvent((m) => m.plugindata?.data?.result === 'done', 5_000, 'done');
    await h.janus.waitEvent((m) => m.janus === 'hangup' && m.sender === h.handleId, 5_000, 'hangup');
    await pub.pc.close();

    // Janus's names and .nfo
    const nfoPath = join(dir, '5150.nfo');
    await waitFor(() => existsSync(nfoPath), 5_000, '.nfo written');
    expect(openFiles()).toBe(0);
    const nfo = readFileSync(nfoPath, 'utf8');
    expect(nfo).toMatch(
      /^\[5150\]\r\nname = My talk\r\ndate = \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\r\naudio = rec-5150-audio\.mjr\r\nvideo = rec-5150-video\.mjr\r\n$/,
    );
    const recorded: Record<'audio' | 'video', number> = { audio: 0, video: 0 };
    for (const kind of ['audio', 'video'] as const) {
      const path = join(dir, `rec-5150-${kind}.mjr`);
      const header = spawnSync('janus-pp-rec', ['--header', path]);
      expect(header.status, header.stderr.toString()).toBe(0);
      const mjr = await MjrFile.open(path);
      recorded[kind] = mjr.index.frames.length;
      await mjr.close();
    }
    // loopback: every packet sent is recorded
    expect(recorded.video).toBe(src.sent.video.packets);
    expect(recorded.audio).toBe(src.sent.audio.packets);

    const viewerHandle = await handle();
    const list = await viewerHandle.janus.request({
      janus: 'message',
      session_id: viewerHandle.session,
      handle_id: viewerHandle.handleId,
      body: { request: 'list' },
    });
    const date = /^date = (.*)\r$/m.exec(nfo)![1];
    expect(list.plugindata.data.list).toEqual([
      {
        id: 5150,
        name: 'My talk',
        date,
        audio: true,
        audio_codec: 'opus',
        video: true,
        video_codec: 'vp8',
        data: false,
      },
    ]);

    const preparing = await viewerHandle.ask({ request: 'play', id: 5150 });
    expect(preparing.plugindata.data).toEqual({ recordplay: 'event', result: { status: 'preparing', id: 5150 } });
    const viewer = new Viewer();
    const started = await viewerHandle.ask(
      { request: 'start' },
      { type: 'answer', sdp: await viewer.answer(preparing.jsep.sdp) },
    );
    expect(started.plugindata.data).toEqual({ recordplay: 'event', result: { status: 'playing' } });
    await viewerHandle.janus.waitEvent((m) => m.plugindata?.data?.result === 'done', 15_000, 'playout done');
    expect(viewer.got.video.length).toBe(recorded.video);
    expect(viewer.got.audio.length).toBe(recorded.audio);
    await viewer.pc.close();
    for (const c of [h, other, viewerHandle]) await c.janus.close();
  });

  it('named files, the id picked by the gateway, ended by detach: the .nfo names <filename>-<kind>.mjr; all released', async () => {
    type Resources = { udpHandles: number; timers: number };
    const resources = () => relayDebug<Resources>(stack, stack.relays[0]!.httpUrl, '/debug/resources');
    const before = await resources();
    const h = await handle();
    const pub = new PubClient(3);
    const recording = await h.ask(
      { request: 'record', name: 'Named', filename: 'my-file' },
      { type: 'offer', sdp: await pub.offer() },
    );
    const id = (recording.plugindata.data as { result: { id: number } }).result.id;
    expect(Number.isSafeInteger(id) && id > 0).toBe(true);
    await pub.accept(recording.jsep.sdp);
    await pub.connected();
    const src = await streamInto(pub, {
      seconds: 1,
      video: { width: 176, height: 144, fps: 15, kbps: 200 },
      audio: true,
    });
    expect(await src.done).toBe(0);
    await h.janus.request({ janus: 'detach', session_id: h.session, handle_id: h.handleId });
    const nfoPath = join(dir, `${id}.nfo`);
    await waitFor(() => existsSync(nfoPath), 5_000, '.nfo written');
    expect(readFileSync(nfoPath, 'utf8')).toMatch(/\r\naudio = my-file-audio\.mjr\r\nvideo = my-file-video\.mjr\r\n$/);
    expect(openFiles()).toBe(0);
    await pub.pc.close();
    await h.janus.close();
    let now = await resources();
    for (let i = 0; i < 50 && (now.udpHandles > before.udpHandles || now.timers > before.timers); i++) {
      await new Promise((r) => setTimeout(r, 200));
      now = await resources();
    }
    expect(now.udpHandles).toBeLessThanOrEqual(before.udpHandles);
    expect(now.timers).toBeLessThanOrEqual(before.timers);
  });
});
