import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { codecCounts } from '../../../relay/audiobridge/totals.js';
import { forwarderSocketCount } from '../../../relay/net/sockets.js';
import { recordingTotals } from '../../../relay/recording/totals.js';
import { waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { toneAmplitude } from './support/goertzel.js';
import { joinWebRtc, mixerSettings, SESSION } from './support/join.js';
import { rtpReceiver } from './support/rtpReceiver.js';
import { WebRtcVoice } from './support/voiceClient.js';

const root = mkdtempSync(join(tmpdir(), 'ab-media-'));
const fx = relayFixture([46750, 46799], {
  env: { RELAY_REMOTE_PORT_MIN: '36750', RELAY_REMOTE_PORT_MAX: '36799', RELAY_RECORDINGS_ROOT: root },
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The room's own key (no client handle), as the edge gives it. */
const ROOM_KEY = { sessionId: 9100, handleId: 9101 };
const HEARD = 1500;
const NOT_HEARD = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function roomOp(op: string, mixer: string, room: number, extra: Record<string, unknown> = {}): CommandInput {
  return {
    op,
    ...ROOM_KEY,
    mixer,
    mixerSettings: mixerSettings(room, { samplingRate: 16000 }),
    ...extra,
  } as CommandInput;
}

describe('AudioBridge room media on the relay', () => {
  const a = fx.track(new WebRtcVoice(440));
  const b = fx.track(new WebRtcVoice(880));

  it('records the mix of two participants to a .wav ffprobe reads, with both tones in it', async () => {
    await joinWebRtc(fx.link, a, 1, 'ab:rec', { room: 31, mixer: { samplingRate: 16000 } });
    await joinWebRtc(fx.link, b, 2, 'ab:rec', { room: 31, mixer: { samplingRate: 16000 } });
    await waitFor(() => a.level(880) > HEARD && b.level(440) > HEARD, 8000, 'the room mixes');
    const dir = join(root, 'mix');
    const started = await fx.link.call(roomOp('ab.record', 'ab:rec', 31, { record: true, dir }));
    const path = (started as { path: string }).path;
    expect(path).toMatch(new RegExp(`^${dir}/janus-audioroom-31-\\d{16}\\.wav$`));
    // a second start keeps the running file
    expect(await fx.link.call(roomOp('ab.record', 'ab:rec', 31, { record: true, dir }))).toEqual({ path });
    await sleep(2000);
    expect(await fx.link.call(roomOp('ab.record', 'ab:rec', 31, { record: false }))).toEqual({ path: null });
    const done = await fx.link.waitEvent(ROOM_KEY.sessionId, ROOM_KEY.handleId, 'ab.recordingDone');
    expect(done).toMatchObject({ room: 31, path, dropped: 0 });
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], {
        encoding: 'utf8',
      }),
    ) as { streams: Array<Record<string, unknown>>; format: { duration: string } };
    expect(probe.streams[0]).toMatchObject({ codec_name: 'pcm_s16le', sample_rate: '16000', channels: 1 });
    const seconds = Number(probe.format.duration);
    expect(seconds).toBeGreaterThan(1.5); // 2 s asked; a loaded machine drops late ticks (counted), never adds
    expect(seconds).toBeLessThan(2.6);
    const wav = readFileSync(path);
    // the header's sizes were fixed at close
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    expect(done.bytes).toBe(wav.length);
    const pcm = new Int16Array(wav.buffer, wav.byteOffset + 44, (wav.length - 44) / 2);
    const tail = pcm.slice(-8000); // the last half second
    expect(toneAmplitude(tail, 16000, 440)).toBeGreaterThan(HEARD);
    expect(toneAmplitude(tail, 16000, 880)).toBeGreaterThan(HEARD);
    expect(toneAmplitude(tail, 16000, 660)).toBeLessThan(NOT_HEARD);
  });

  it("records what a participant sends to a .mjr (Janus's mjrs) that janus-pp-rec converts to its tone", async () => {
    const dir = join(root, 'mjrs');
    const base = `audiobridge-31-user-1-${Date.now() * 1000}`;
    const started = await fx.link.call({
      op: 'peer.record',
      sessionId: SESSION,
      handleId: 1,
      record: true,
      dir,
      base,
      naming: 'kind',
    });
    expect(started.files).toEqual([{ mid: expect.any(String), kind: 'audio', path: join(dir, `${base}-audio.mjr`) }]);
    await sleep(1500);
    await fx.link.call({ op: 'peer.record', sessionId: SESSION, handleId: 1, record: false });
    const closed = await fx.link.waitEvent(SESSION, 1, 'recording');
    expect(closed).toMatchObject({ file: { path: join(dir, `${base}-audio.mjr`) }, dropped: 0 });
    const opus = join(dir, 'a.opus');
    execFileSync('janus-pp-rec', [join(dir, `${base}-audio.mjr`), opus], { stdio: 'ignore' });
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', opus, '-f', 's16le', '-ac', '1', '-ar', '16000', '-']);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1).slice(-8000);
    expect(toneAmplitude(samples, 16000, 440)).toBeGreaterThan(HEARD);
    expect(toneAmplitude(samples, 16000, 880)).toBeLessThan(NOT_HEARD); // its own voice, not the mix
  });

  it('refuses a recording outside RELAY_RECORDINGS_ROOT with 403 and starts nothing', async () => {
    const reply = await fx.link.request(roomOp('ab.record', 'ab:rec', 31, { record: true, dir: '/tmp/elsewhere' }));
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe(403);
    const escape = await fx.link.request(roomOp('ab.record', 'ab:rec', 31, { record: true, file: '../../x.wav' }));
    expect(escape.ok).toBe(false);
  });

  const opus = fx.track(rtpReceiver('opus'));
  let listener: WebRtcVoice | undefined;

  it('forwards the mix as Opus and PCMU RTP that decode to both tones, one encoding per codec', async () => {
    const pcmu = fx.track(rtpReceiver('pcmu'));
    const opusPort = await opus.bind();
    const pcmuPort = await pcmu.bind();
    await fx.link.call(
      roomOp('ab.forward', 'ab:rec', 31, {
        streamId: 1,
        host: 'localhost',
        port: opusPort,
        payloadType: 111,
        ssrc: 1234,
      }),
    );
    await fx.link.call(
      roomOp('ab.forward', 'ab:rec', 31, {
        streamId: 2,
        host: '127.0.0.1',
        port: pcmuPort,
        codec: 'pcmu',
        payloadType: 0,
      }),
    );
    const dup = await fx.link.request(roomOp('ab.forward', 'ab:rec', 31, { streamId: 2, host: '127.0.0.1', port: 1 }));
    expect(dup.ok).toBe(false);
    const bad = await fx.link.request(
      roomOp('ab.forward', 'ab:rec', 31, { streamId: 3, host: 'no.such.host.invalid', port: 1 }),
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe(484);
    await waitFor(() => opus.level(440) > HEARD && opus.level(880) > HEARD, 8000, 'Opus forwarder has both tones');
    await waitFor(() => pcmu.level(440) > HEARD && pcmu.level(880) > HEARD, 8000, 'PCMU forwarder has both tones');
    expect(opus.got).toMatchObject({ pt: 111, ssrc: 1234 });
    expect(pcmu.got).toMatchObject({ pt: 0, ssrc: 2 }); // as Janus: the stream id when no SSRC is given
  });

  it('keeps the mixer while forwarders remain with nobody in; always_on forwards silence, others pause', async () => {
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1 });
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 2 });
    expect(fx.relay.audiobridge.mixerCount).toBe(1);
    expect(fx.relay.audiobridge.participantCount).toBe(0);
    // as Janus: a forwarder without always_on sends nothing while the room is empty
    await sleep(100);
    const paused = opus.got.packets;
    await sleep(300);
    expect(opus.got.packets).toBe(paused);
    const always = fx.track(rtpReceiver('pcmu'));
    const port = await always.bind();
    await fx.link.call(
      roomOp('ab.forward', 'ab:rec', 31, {
        streamId: 4,
        host: '127.0.0.1',
        port,
        codec: 'pcmu',
        payloadType: 0,
        alwaysOn: true,
      }),
    );
    await waitFor(() => always.got.packets > 20, 3000, 'always_on forwards with nobody in');
    expect(always.level(440)).toBeLessThan(NOT_HEARD);
    await fx.link.call(roomOp('ab.stopForward', 'ab:rec', 31, { streamId: 1 }));
    await fx.link.call(roomOp('ab.stopForward', 'ab:rec', 31, { streamId: 2 }));
    expect(await fx.link.call(roomOp('ab.stopForward', 'ab:rec', 31, { streamId: 2 }))).toEqual({ stopped: false });
    expect(fx.relay.audiobridge.mixerCount).toBe(1);
    await fx.link.call(roomOp('ab.stopForward', 'ab:rec', 31, { streamId: 4 }));
    expect(fx.relay.audiobridge.mixerCount).toBe(0);
  });

  it('plays an Ogg Opus file into the room: a participant hears it, with started/stopped events', async () => {
    const file = join(root, 'tone660.opus');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=660:duration=1.5',
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      file,
    ]);
    const heard = (listener = fx.track(new WebRtcVoice(undefined)));
    await joinWebRtc(fx.link, heard, 3, 'ab:play', { room: 32, mixer: { samplingRate: 16000 } });
    await fx.link.call(roomOp('ab.play', 'ab:play', 32, { fileId: 'hello', path: file }));
    const dup = await fx.link.request(roomOp('ab.play', 'ab:play', 32, { fileId: 'hello', path: file }));
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.error.code).toBe(490);
    await fx.link.waitEvent(
      ROOM_KEY.sessionId,
      ROOM_KEY.handleId,
      'ab.announcement',
      (e) => e.playing && e.fileId === 'hello',
    );
    await waitFor(() => heard.level(660) > HEARD, 5000, 'the listener hears the file');
    await fx.link.waitEvent(
      ROOM_KEY.sessionId,
      ROOM_KEY.handleId,
      'ab.announcement',
      (e) => !e.playing && e.fileId === 'hello',
    );
    await waitFor(() => heard.level(660) < NOT_HEARD, 5000, 'the file ended');
  });

  it('loops a file until stopped; refuses a file that is no Ogg Opus (499) or outside the root (403)', async () => {
    const file = join(root, 'tone660.opus');
    await fx.link.call(roomOp('ab.play', 'ab:play', 32, { fileId: 'loop', path: file, loop: true }));
    await sleep(2500); // longer than the file
    expect(fx.relay.audiobridge.mixer('ab:play')!.media.players.has('loop')).toBe(true);
    expect(await fx.link.call(roomOp('ab.stopPlay', 'ab:play', 32, {}))).toEqual({ stopped: ['loop'] });
    const notOgg = join(root, 'not.opus');
    execFileSync('sh', ['-c', `echo nope > ${notOgg}`]);
    const bad = await fx.link.request(roomOp('ab.play', 'ab:play', 32, { fileId: 'x', path: notOgg }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe(499);
    const outside = await fx.link.request(roomOp('ab.play', 'ab:play', 32, { fileId: 'y', path: '/etc/hostname' }));
    expect(outside.ok).toBe(false);
    if (!outside.ok) expect(outside.error.code).toBe(403);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 3 });
  });

  it('a held room keeps its mixer with nobody in; closing it releases everything', async () => {
    await fx.link.call(roomOp('ab.room', 'ab:held', 33, {}));
    await fx.link.call(roomOp('ab.record', 'ab:held', 33, { record: true, dir: join(root, 'held') }));
    await fx.link.call(roomOp('ab.play', 'ab:held', 33, { fileId: 'f', path: join(root, 'tone660.opus'), loop: true }));
    expect(fx.relay.audiobridge.mixerCount).toBe(1);
    await fx.link.call(roomOp('ab.room', 'ab:held', 33, { close: true }));
    expect(fx.relay.audiobridge.mixerCount).toBe(0);
    await fx.link.waitEvent(ROOM_KEY.sessionId, ROOM_KEY.handleId, 'ab.recordingDone', (e) => e.room === 33);
    await fx.link.waitEvent(
      ROOM_KEY.sessionId,
      ROOM_KEY.handleId,
      'ab.announcement',
      (e) => e.room === 33 && !e.playing,
    );
  });

  it('leaves nothing behind: no mixer, forwarder socket, open file, Opus encoder or decoder', async () => {
    // the test's own codecs go first: what remains would be the relay's
    for (const c of [a, b, listener, opus]) await c?.close();
    await waitFor(() => recordingTotals.open === 0, 3000, 'every file closed');
    expect(fx.relay.audiobridge.mixerCount).toBe(0);
    expect(forwarderSocketCount()).toBe(0);
    expect(codecCounts).toEqual({ decoders: 0, encoders: 0 });
  });
});
