/**
 * The AudioBridge's room media through the real stack (edge in workerd, one relay): a room created
 * with `record` writes a .wav of its mix on the relay, `rtp_forward` sends the mix to a UDP socket,
 * `play_file` mixes an Ogg Opus file in for everyone with `announcement-started`/`-stopped`, and a
 * room with nobody in plays and forwards all the same (its relay was picked for the room).
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpusDecoder } from '../../relay/audiobridge/opus.js';
import { toneAmplitude } from '../relay/audiobridge/support/goertzel.js';
import { WebRtcVoice } from '../relay/audiobridge/support/voiceClient.js';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { AbParticipant } from './support/abParticipant.js';

const HEARD = 1500;
const NOT_HEARD = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A UDP socket decoding the Opus RTP a forwarder sends it (48 kHz). */
function opusReceiver() {
  const socket = createSocket('udp4');
  const decoder = new OpusDecoder(48000);
  const frame = new Int16Array(5760);
  const pcm: number[] = [];
  const got = { packets: 0, pt: -1, ssrc: -1 };
  socket.on('message', (m) => {
    got.packets++;
    got.pt = m[1]! & 0x7f;
    got.ssrc = m.readUInt32BE(8);
    const n = decoder.decode(m.subarray(12), frame);
    for (let i = 0; i < n; i++) pcm.push(frame[i]!);
  });
  return {
    got,
    level: (freq: number) => toneAmplitude(Int16Array.from(pcm.slice(-19200)), 48000, freq),
    bind: async () => {
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      return socket.address().port;
    },
    close: async () => {
      decoder.close();
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}

describe('AudioBridge room media through the stack', () => {
  const root = mkdtempSync(join(tmpdir(), 'ab-stack-media-'));
  let stack: Stack;
  let admin: AbParticipant;
  const closers: Array<{ close(): Promise<void> }> = [];
  const track = <T extends { close(): Promise<void> }>(c: T): T => (closers.push(c), c);
  const tone = join(root, 'tone660.opus');

  beforeAll(async () => {
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=660:duration=1.5'],
      ...['-c:a', 'libopus', '-b:a', '32k', tone],
    ]);
    stack = await startStack({ RELAY_RECORDINGS_ROOT: root });
    admin = track(await AbParticipant.connect(stack));
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c.close().catch(() => undefined);
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function joinWithMedia(room: number, id: number, freq: number | undefined) {
    const p = track(await AbParticipant.connect(stack));
    const v = track(new WebRtcVoice(freq));
    const ev = await p.ask({ request: 'join', room, id }, { type: 'offer', sdp: await v.offer() });
    expect(ev.plugindata?.data, JSON.stringify(ev)).toMatchObject({ audiobridge: 'joined', room, id });
    await v.accept(ev.jsep.sdp);
    await v.connected();
    v.start();
    return { p, v };
  }

  it('records the mix from create, forwards it, plays a file everyone hears', async () => {
    const room = 7_100_000 + Math.floor(Math.random() * 1e5);
    const dir = join(root, 'rec');
    expect(
      await admin.sync({ request: 'create', room, secret: 'sec', sampling_rate: 16000, record: true, record_dir: dir }),
    ).toMatchObject({ audiobridge: 'created', room });
    expect((await admin.sync({ request: 'list' })).list.find((r: any) => r.room === room)).toMatchObject({
      record: true,
    });
    const a = await joinWithMedia(room, 1, 440);
    const b = await joinWithMedia(room, 2, 880);
    await waitFor(() => a.v.level(880) > HEARD && b.v.level(440) > HEARD, 10_000, 'the room mixes');

    const rx = track(opusReceiver());
    const port = await rx.bind();
    expect(
      await admin.sync({ request: 'rtp_forward', room, secret: 'sec', host: '127.0.0.1', port, ptype: 111 }),
    ).toMatchObject({
      audiobridge: 'success',
      room,
      stream_id: expect.any(Number),
    });
    await waitFor(() => rx.level(440) > HEARD && rx.level(880) > HEARD, 8000, 'the forwarded mix has both tones');
    expect(rx.got.pt).toBe(111);
    const fw = await admin.sync({ request: 'listforwarders', room, secret: 'sec' });
    expect(fw).toMatchObject({ audiobridge: 'forwarders', room });
    expect(fw.rtp_forwarders).toEqual([
      {
        stream_id: expect.any(Number),
        ip: '127.0.0.1',
        port,
        ssrc: rx.got.ssrc,
        codec: 'opus',
        ptype: 111,
        always_on: false,
      },
    ]);
    const bad = await admin.sync({
      request: 'rtp_forward',
      room,
      host: '127.0.0.1',
      port,
      srtp_suite: 32,
      srtp_crypto: 'x',
    });
    expect(bad.error_code).toBe(484);

    expect(await admin.sync({ request: 'play_file', room, secret: 'sec', filename: tone, file_id: 'hi' })).toEqual({
      audiobridge: 'success',
      room,
      file_id: 'hi',
    });
    for (const who of [a.p, b.p])
      await who.waitData((d) => d.audiobridge === 'announcement-started' && d.file_id === 'hi', 'started');
    expect(await admin.sync({ request: 'is_playing', room, secret: 'sec', file_id: 'hi' })).toMatchObject({
      playing: true,
    });
    await waitFor(() => a.v.level(660) > HEARD && b.v.level(660) > HEARD, 5000, 'both hear the file');
    await a.p.waitData((d) => d.audiobridge === 'announcement-stopped' && d.file_id === 'hi', 'stopped', 8000);
    expect(await admin.sync({ request: 'is_playing', room, secret: 'sec', file_id: 'hi' })).toMatchObject({
      playing: false,
    });

    expect(await admin.sync({ request: 'enable_recording', room, secret: 'sec', record: false })).toEqual({
      audiobridge: 'success',
      record: false,
    });
    await waitFor(() => existsSync(dir) && readdirSync(dir).length === 1, 5000, 'the recording');
    const [name] = readdirSync(dir);
    expect(name).toMatch(new RegExp(`^janus-audioroom-${room}-\\d{16}\\.wav$`));
    await sleep(300); // the header is fixed at close
    const wav = readFileSync(join(dir, name!));
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    const pcm = new Int16Array(wav.buffer, wav.byteOffset + 44, (wav.length - 44) >> 1).slice(-16000);
    expect(toneAmplitude(pcm, 16000, 440)).toBeGreaterThan(HEARD);
    expect(toneAmplitude(pcm, 16000, 880)).toBeGreaterThan(HEARD);

    expect(await admin.sync({ request: 'destroy', room, secret: 'sec' })).toMatchObject({ audiobridge: 'destroyed' });
    await sleep(500);
    const after = rx.got.packets;
    await sleep(500);
    expect(rx.got.packets, 'the forwarder stopped with the room').toBe(after);
  }, 90_000);

  it("mjrs: each participant's audio goes to its own .mjr that janus-pp-rec converts back to its tone", async () => {
    const room = 7_300_000 + Math.floor(Math.random() * 1e5);
    const dir = join(root, 'mjrs');
    await admin.sync({ request: 'create', room, mjrs: true, mjrs_dir: dir });
    const a = await joinWithMedia(room, 1, 440);
    await waitFor(() => existsSync(dir) && readdirSync(dir).length === 1, 8000, 'the .mjr');
    const [name] = readdirSync(dir);
    expect(name).toMatch(new RegExp(`^audiobridge-${room}-user-1-\\d{16}-audio\\.mjr$`));
    await sleep(1500);
    await a.p.hangup();
    await sleep(500); // the file is closed after the hang-up
    const opus = join(root, 'mjr.opus');
    execFileSync('janus-pp-rec', [join(dir, name!), opus], { stdio: 'ignore' });
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', opus, '-f', 's16le', '-ac', '1', '-ar', '16000', '-']);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1).slice(-8000);
    expect(toneAmplitude(samples, 16000, 440)).toBeGreaterThan(HEARD);
    await admin.sync({ request: 'destroy', room });
  }, 60_000);

  it('a room with nobody in plays a looping file; who joins hears it; stop_file ends it', async () => {
    const room = 7_200_000 + Math.floor(Math.random() * 1e5);
    await admin.sync({ request: 'create', room, sampling_rate: 48000 });
    const missing = await admin.sync({ request: 'play_file', room, filename: join(root, 'none.opus') });
    expect(missing.error_code).toBe(499);
    const outside = await admin.sync({ request: 'play_file', room, filename: '/etc/hostname' });
    expect(outside.error_code).toBe(403);
    expect(await admin.sync({ request: 'play_file', room, filename: tone, file_id: 'loop', loop: true })).toMatchObject(
      {
        file_id: 'loop',
      },
    );
    const dup = await admin.sync({ request: 'play_file', room, filename: tone, file_id: 'loop' });
    expect(dup.error_code).toBe(490);
    await sleep(2000); // longer than the file: it loops
    const c = await joinWithMedia(room, 3, undefined);
    await waitFor(() => c.v.level(660) > HEARD, 8000, 'who joins hears the file');
    expect(await admin.sync({ request: 'stop_file', room, file_id: 'loop' })).toEqual({
      audiobridge: 'success',
      room,
      file_id: 'loop',
    });
    await c.p.waitData((d) => d.audiobridge === 'announcement-stopped' && d.file_id === 'loop', 'stopped');
    await waitFor(() => c.v.level(660) < NOT_HEARD, 5000, 'the file stopped');
    await admin.sync({ request: 'destroy', room });
  }, 60_000);
});
