import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../relay/logger.js';
import { infoHeader, janusCodecName } from '../../../relay/recording/mjrFormat.js';
import { MjrWriter, type MjrWriterOptions } from '../../../relay/recording/mjrWriter.js';
import { recordingTotals } from '../../../relay/recording/totals.js';
import { parseMjr, rtpOf } from './mjrParse.js';

const dir = mkdtempSync(join(tmpdir(), 'mjr-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('silent');
const hasPpRec = spawnSync('janus-pp-rec', ['--help']).error === undefined;
if (!hasPpRec) process.stderr.write('mjrWriter: janus-pp-rec (Debian janus-tools) is missing: its check is skipped\n');

function writer(name: string, o: Partial<MjrWriterOptions> = {}): Promise<MjrWriter> {
  return MjrWriter.create({ path: join(dir, name), kind: 'audio', codec: 'opus', log, ...o });
}

describe('the .mjr format (Janus 1.x, version 2)', () => {
  it('names codecs as Janus does', () => {
    expect(janusCodecName('audio', 'OPUS')).toBe('opus');
    expect(janusCodecName('audio', 'PCMU')).toBe('pcmu');
    expect(janusCodecName('video', 'VP8')).toBe('vp8');
    expect(janusCodecName('video', 'vp9')).toBe('vp9');
    expect(janusCodecName('video', 'H264')).toBe('h264');
    expect(janusCodecName('video', 'AV1')).toBe('av1');
    expect(janusCodecName('data', undefined)).toBe('text');
    expect(janusCodecName('video', 'rtx')).toBeUndefined();
  });

  it('writes the JSON header as jansson dumps it, keys in Janus order, with its u16 length', () => {
    const h = infoHeader({
      kind: 'video',
      codec: 'h264',
      fmtp: 'profile-level-id=42e01f',
      createdUs: 10,
      firstFrameUs: 20,
    });
    const text = '{"t": "v", "c": "h264", "f": "profile-level-id=42e01f", "s": 10, "u": 20}';
    expect(h.readUInt16BE(0)).toBe(Buffer.byteLength(text));
    expect(h.subarray(2).toString()).toBe(text);
  });

  it('an empty recording is just the magic, as Janus leaves it', async () => {
    const w = await writer('empty.mjr');
    const s = await w.close();
    expect(s).toMatchObject({ bytes: 8, packets: 0, durationMs: 0, damaged: false });
    expect(parseMjr(join(dir, 'empty.mjr'))).toMatchObject({ magic: 'MJR00002', headerText: undefined });
  });

  it('stores RTP as Janus does: ts from 0, seq from 1, one SSRC, continuous across an SSRC change', async () => {
    const w = await writer('audio.mjr');
    const payload = Buffer.from([0xf8, 1, 2, 3]);
    for (let i = 0; i < 50; i++) w.writeRtp(1111, 111, 40_000 + i, 900_000 + 960 * i, false, payload);
    const gapStart = performance.now();
    await new Promise((r) => setTimeout(r, 40));
    const gapMs = performance.now() - gapStart;
    // another source (a renegotiated stream): the stored stream continues after a 40 ms gap
    for (let i = 0; i < 10; i++) w.writeRtp(2222, 111, 7 + i, 5 + 960 * i, i === 0, payload);
    const s = await w.close();
    const f = parseMjr(join(dir, 'audio.mjr'));
    expect(f.magic).toBe('MJR00002');
    expect(f.header).toMatchObject({ t: 'a', c: 'opus' });
    expect(Object.keys(f.header!)).toEqual(['t', 'c', 's', 'u']);
    expect(f.header!.u as number).toBeGreaterThanOrEqual(f.header!.s as number);
    expect(f.trailing).toBe(0);
    expect(f.frames).toHaveLength(60);
    const rtp = f.frames.map((x) => rtpOf(x.bytes));
    expect(rtp[0]).toMatchObject({ seq: 1, ts: 0, ssrc: 1111, pt: 111 });
    expect(rtp[49]).toMatchObject({ seq: 50, ts: 49 * 960 });
    expect(new Set(rtp.map((r) => r.ssrc))).toEqual(new Set([1111]));
    expect(rtp.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // 48 kHz: the wall clock of the gap bridged after the last timestamp
    expect(rtp[50]!.ts - rtp[49]!.ts).toBeGreaterThanOrEqual(Math.floor((gapMs - 2) * 48));
    expect(rtp[50]!.ts - rtp[49]!.ts).toBeLessThan(Math.ceil((gapMs + 20) * 48));
    expect(rtp[50]!.marker).toBe(true);
    expect(rtp[59]!.payload).toEqual(payload);
    expect(f.frames[0]!.relMs).toBe(0);
    expect(f.frames[59]!.relMs).toBeGreaterThanOrEqual(35);
    expect(s).toMatchObject({ packets: 60, dropped: 0, damaged: false, bytes: statSync(join(dir, 'audio.mjr')).size });
    expect(s.durationMs).toBeGreaterThanOrEqual(35);
  });

  it('stores data channel messages with their wall-clock time, length counting it', async () => {
    const w = await writer('data.mjr', { kind: 'data', codec: 'text' });
    const before = BigInt(Date.now()) * 1000n;
    w.writeData(Buffer.from('hello'));
    w.writeData(Buffer.from('world!'));
    w.writeData(Buffer.alloc(40_000, 0x61)); // larger than a chunk
    w.writeData(Buffer.alloc(70_000, 0x62)); // larger than a frame can say: dropped, counted
    w.writeRtp(1, 1, 1, 1, false, Buffer.from([1])); // not for a data file: ignored
    const s = await w.close();
    expect(s).toMatchObject({ packets: 3, dropped: 1, damaged: true });
    const f = parseMjr(join(dir, 'data.mjr'));
    expect(f.header).toMatchObject({ t: 'd', c: 'text' });
    expect(f.frames.map((x) => x.bytes.toString())).toEqual(['hello', 'world!', 'a'.repeat(40_000)]);
    expect(f.trailing).toBe(0);
    // µs wall-clock time, kept within 1 ms of the system clock (mjrWriter.ts `nowUs`)
    expect(f.frames[0]!.dataTimeUs! >= before - 1000n).toBe(true);
  });

  it('drops and counts what overflows the write queue, and marks the file damaged', async () => {
    const droppedBefore = recordingTotals.packetsDropped;
    const w = await writer('overflow.mjr', { kind: 'video', codec: 'vp8', queueLimitBytes: 64 * 1024 });
    const payload = Buffer.alloc(1100, 0x55);
    // one turn of the event loop: nothing can be written meanwhile
    for (let i = 0; i < 200; i++) w.writeRtp(5, 96, i, i * 3000, true, payload);
    const s = await w.close();
    expect(s.dropped).toBeGreaterThan(100);
    expect(s.packets + s.dropped).toBe(200);
    expect(s.damaged).toBe(true);
    expect(recordingTotals.packetsDropped - droppedBefore).toBe(s.dropped);
    const f = parseMjr(join(dir, 'overflow.mjr'));
    expect(f.frames).toHaveLength(s.packets);
    expect(f.trailing).toBe(0);
  });

  it('a disk error (ENOSPC) ends the file with an error, once, without throwing at the writer', async () => {
    if (!existsSync('/dev/full')) return;
    const ended: string[] = [];
    const w = await MjrWriter.create({
      path: '/dev/full',
      kind: 'audio',
      codec: 'opus',
      log,
      onEnd: (x) => ended.push(x.stats.error ?? 'none'),
    });
    const open = recordingTotals.open;
    for (let i = 0; i < 2000; i++) w.writeRtp(1, 111, i, i * 960, false, Buffer.alloc(100));
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 10; i++) w.writeRtp(1, 111, i, i * 960, false, Buffer.alloc(100)); // after the error: ignored
    const s = await w.close();
    expect(s.error).toMatch(/ENOSPC/);
    expect(ended).toEqual([s.error]);
    expect(recordingTotals.open).toBe(open - 1);
  });

  it('a vanished directory ends the file with an error', async () => {
    const sub = mkdtempSync(join(dir, 'gone-'));
    const ended: string[] = [];
    const w = await MjrWriter.create({
      path: join(sub, 'x.mjr'),
      kind: 'audio',
      codec: 'opus',
      log,
      onEnd: (x) => ended.push(x.stats.error ?? 'none'),
    });
    w.writeRtp(1, 111, 1, 960, false, Buffer.alloc(100));
    rmSync(sub, { recursive: true, force: true });
    const deadline = Date.now() + 3000;
    while (ended.length === 0 && Date.now() < deadline) {
      w.writeRtp(1, 111, 2, 1920, false, Buffer.alloc(100));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatch(/removed/);
    expect((await w.close()).error).toBe(ended[0]);
  });

  it.skipIf(!hasPpRec)('janus-pp-rec reads the header back', async () => {
    const w = await writer('pp.mjr', { kind: 'video', codec: 'vp8' });
    w.writeRtp(9, 96, 1, 3000, true, Buffer.from([0x10, 0x00, 0x9d, 0x01, 0x2a]));
    await w.close();
    const path = join(dir, 'pp.mjr');
    const json = JSON.parse(execFileSync('janus-pp-rec', ['--json', path]).toString().trim());
    expect(json).toMatchObject({ t: 'v', c: 'vp8' });
    expect(json.u).toBeGreaterThan(json.s);
    const header = spawnSync('janus-pp-rec', ['--header', path]);
    expect(header.status).toBe(0);
    expect(header.stdout.toString()).toMatch(/This is a video recording/);
  });
});
