import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PubClient, publish, sleep, SubClient, subscribe } from '../sfu/support.js';
import { recordingEvents, recordingFixture } from './fixture.js';
import { have, probe, streamInto } from './media.js';

const tools = have('ffmpeg') && have('ffprobe') && have('janus-pp-rec');
if (!tools) process.stderr.write('recording tests skipped: ffmpeg, ffprobe or janus-pp-rec is missing\n');
const fx = recordingFixture([44100, 44199]);
let nextHandle = 1;

describe.skipIf(!tools)('recording real media (janus-pp-rec, ffprobe)', () => {
  it('a VideoRoom publisher sending VP8 + Opus for 6 s: Janus tools convert both files, at the length sent', async () => {
    const session = 7100;
    const pub = fx.track(new PubClient(nextHandle++));
    const p = await publish(fx.link, session, pub);
    const dir = join(fx.root, 'videoroom');
    const started = await fx.link.call({
      op: 'peer.record',
      sessionId: session,
      handleId: p.handle,
      record: true,
      dir,
      base: 'room-1234-user-1',
    });
    const audioPath = join(dir, 'room-1234-user-1-audio-0.mjr');
    const videoPath = join(dir, 'room-1234-user-1-video-1.mjr');
    expect(started.files).toEqual([
      { mid: pub.audio!.mid, kind: 'audio', path: audioPath },
      { mid: pub.video!.mid, kind: 'video', path: videoPath },
    ]);
    const src = await streamInto(pub, {
      seconds: 6,
      video: { width: 320, height: 240, fps: 30, kbps: 400 },
      audio: true,
    });
    expect(await src.done).toBe(0);
    const stopped = await fx.link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: false });
    expect(stopped.files).toEqual([]);

    // one event per file, before the stop's reply
    const events = recordingEvents(fx.link, session, p.handle);
    expect(events.map((e) => e.file.path).sort()).toEqual([audioPath, videoPath]);
    for (const e of events) {
      expect(e).toMatchObject({ damaged: false, dropped: 0 });
      expect(e.error).toBeUndefined();
      expect(e.bytes).toBe(statSync(e.file.path).size);
      expect(e.durationMs).toBeGreaterThan(5500);
    }
    expect(events.find((e) => e.file.kind === 'video')!.packets).toBe(src.sent.video.packets);
    expect(events.find((e) => e.file.kind === 'audio')!.packets).toBe(src.sent.audio.packets);

    for (const path of [audioPath, videoPath]) {
      const header = spawnSync('janus-pp-rec', ['--header', path]);
      expect(header.status, header.stderr.toString()).toBe(0);
    }
    const webm = join(dir, 'video.webm');
    const opus = join(dir, 'audio.opus');
    const conv = [spawnSync('janus-pp-rec', [videoPath, webm]), spawnSync('janus-pp-rec', [audioPath, opus])];
    for (const c of conv) expect(c.status, c.stdout.toString()).toBe(0);
    expect(existsSync(webm) && existsSync(opus)).toBe(true);

    const v = probe(webm);
    const sentVideo = (src.sent.video.lastTs - src.sent.video.firstTs!) / 90_000 + 1 / 30;
    expect(v).toMatchObject({ codec: 'vp8', width: 320, height: 240 });
    expect(Math.abs(v.duration - sentVideo)).toBeLessThan(0.2);
    const a = probe(opus);
    const sentAudio = (src.sent.audio.lastTs - src.sent.audio.firstTs!) / 48_000 + 0.02;
    expect(a.codec).toBe('opus');
    expect(Math.abs(a.duration - sentAudio)).toBeLessThan(0.2);
    if (process.env.REC_DEBUG) process.stderr.write(JSON.stringify({ v, sentVideo, a, sentAudio }) + '\n');
  });

  it('an EchoTest peer records one file per kind, named <base>-<kind>.mjr', async () => {
    const session = 7200;
    const handle = 9000 + nextHandle;
    const pub = fx.track(new PubClient(nextHandle++));
    const created = await fx.link.call({
      op: 'peer.create',
      sessionId: session,
      handleId: handle,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await pub.offer() },
      options: {},
    });
    await pub.accept((created as { answer: { sdp: string } }).answer.sdp);
    await pub.connected();
    const dir = join(fx.root, 'echo');
    const started = await fx.link.call({
      op: 'peer.record',
      sessionId: session,
      handleId: handle,
      record: true,
      dir,
      base: 'echo-1',
      naming: 'kind',
    });
    expect(started.files.map((f) => f.path).sort()).toEqual([
      join(dir, 'echo-1-audio.mjr'),
      join(dir, 'echo-1-video.mjr'),
    ]);
    // starting again changes nothing
    const again = await fx.link.call({
      op: 'peer.record',
      sessionId: session,
      handleId: handle,
      record: true,
      dir: '/',
    });
    expect(again.files).toEqual(started.files);
    const src = await streamInto(pub, {
      seconds: 3,
      video: { width: 176, height: 144, fps: 15, kbps: 200 },
      audio: true,
    });
    expect(await src.done).toBe(0);
    await fx.link.call({ op: 'peer.hangup', sessionId: session, handleId: handle, reason: 'Janus API' });
    const events = await fx.link.until(() => {
      const e = recordingEvents(fx.link, session, handle);
      return e.length === 2 ? e : undefined;
    });
    for (const e of events) expect(e.packets).toBe(src.sent[e.file.kind as 'audio' | 'video'].packets);
    const webm = join(dir, 'echo.webm');
    const conv = spawnSync('janus-pp-rec', [join(dir, 'echo-1-video.mjr'), webm]);
    expect(conv.status, conv.stdout.toString()).toBe(0);
    expect(probe(webm)).toMatchObject({ codec: 'vp8', width: 176, height: 144 });
  });

  it('ENOSPC ends the recording with an error event; the publisher keeps forwarding', async () => {
    const dir = join(fx.root, 'tiny');
    mkdirSync(dir, { recursive: true });
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status === 0;
    if (!mounted) process.stderr.write('ENOSPC test skipped: cannot mount a tmpfs\n');
    if (!mounted) return;
    const session = 7400;
    let handle = 0;
    try {
      const pub = fx.track(new PubClient(nextHandle++, { audio: false }));
      const p = await publish(fx.link, session, pub);
      handle = p.handle;
      await fx.link.call({
        op: 'peer.record',
        sessionId: session,
        handleId: p.handle,
        record: true,
        dir,
        base: 'full',
      });
      const sub = fx.track(new SubClient());
      const videoMid = pub.video!.mid!;
      await subscribe(fx.link, session, sub, [{ feedId: 1, feedKey: p.key, feedMid: videoMid, type: 'video' }]);
      const src = await streamInto(pub, {
        seconds: 5,
        video: { width: 320, height: 240, fps: 30, kbps: 4000 },
        noise: true,
      });
      const failed = await fx.link.until(
        () => recordingEvents(fx.link, session, p.handle).find((e) => e.error),
        8000,
        'the recording error',
      );
      expect(failed.error).toMatch(/ENOSPC/);
      expect(failed.bytes).toBeGreaterThan(0);
      expect(failed.bytes).toBeLessThanOrEqual(1024 * 1024);
      const received = () => [...sub.byMid.values()].reduce((n, r) => n + r.packets, 0);
      const atError = received();
      await sleep(1000);
      expect(received()).toBeGreaterThan(atError + 50);
      src.stop();
      await src.done;
      // the file is closed: nothing more is reported, the recording is over
      const stopped = await fx.link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: false });
      expect(stopped.files).toEqual([]);
      expect(recordingEvents(fx.link, session, p.handle)).toHaveLength(1);
    } finally {
      // the files must be closed for the unmount
      if (handle)
        await fx.link.request({ op: 'peer.hangup', sessionId: session, handleId: handle, reason: 'Janus API' });
      const umount = spawnSync('umount', [dir]);
      expect(umount.status, umount.stderr.toString()).toBe(0);
    }
  });
});
