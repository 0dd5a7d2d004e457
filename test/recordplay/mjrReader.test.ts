import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/logger.js';
import { MjrFile, MjrFormatError, readMjrHeader } from '../../relay/recording/mjrReader.js';
import { MjrWriter } from '../../relay/recording/mjrWriter.js';

/** Written by the reference Janus's EchoTest (`record: true`), see fixtures/recordWithJanus.ts. */
const fixtures = join(import.meta.dirname, 'fixtures');
const audioPath = join(fixtures, 'fixture-audio.mjr');
const videoPath = join(fixtures, 'fixture-video.mjr');
const ppRec = spawnSync('sh', ['-c', 'command -v janus-pp-rec'], { stdio: 'ignore' }).status === 0;
if (!ppRec)
  process.stderr.write('mjrReader: janus-pp-rec (Debian janus-tools) is missing: its comparisons are skipped\n');
const tmp = mkdtempSync(join(tmpdir(), 'mjr-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What janus-pp-rec's verbose pre-parse says of each RTP frame: time, ssrc, pt, seq, ts. */
function ppRecFrames(
  path: string,
): Array<{ timeMs: number; ssrc: number; payloadType: number; seq: number; timestamp: number }> {
  const out = spawnSync('janus-pp-rec', ['-d', '7', '--parse', path], { encoding: 'utf8' });
  const text = `${out.stdout}${out.stderr}`;
  const frames = [];
  const re = /-- Time: (\d+)ms\s+-- RTP packet \(ssrc=(\d+), pt=(\d+), ext=\d+, seq=(\d+), ts=(\d+)\)/g;
  for (const m of text.matchAll(re))
    frames.push({ timeMs: +m[1]!, ssrc: +m[2]!, payloadType: +m[3]!, seq: +m[4]!, timestamp: +m[5]! });
  return frames;
}

function ppRecHeader(path: string): Record<string, string> {
  const out = spawnSync('janus-pp-rec', ['--header', path], { encoding: 'utf8' });
  const text = `${out.stdout}${out.stderr}`;
  return {
    kind: /This is an? (\w+) recording/.exec(text)?.[1] ?? '',
    codec: /-- Codec:\s+(\S+)/.exec(text)?.[1] ?? '',
    created: /-- Created: (\d+)/.exec(text)?.[1] ?? '',
    written: /-- Written: (\d+)/.exec(text)?.[1] ?? '',
  };
}

describe('mjrReader on recordings of the real Janus', () => {
  it.each([
    ['audio', audioPath, 'opus'],
    ['video', videoPath, 'vp8'],
  ])('%s: header as janus-pp-rec --header reads it', async (kind, path, codec) => {
    const header = await readMjrHeader(path);
    expect(header).toMatchObject({ kind, codec, encrypted: false });
    if (!ppRec) return;
    const pp = ppRecHeader(path);
    expect(pp).toEqual({ kind, codec, created: String(header.createdUs), written: String(header.firstFrameUs) });
  });

  it.skipIf(!ppRec).each([audioPath, videoPath])(
    'every frame of %s, with its time and RTP fields, as janus-pp-rec --parse',
    async (path) => {
      const mjr = await MjrFile.open(path);
      try {
        const expected = ppRecFrames(path);
        expect(expected.length).toBeGreaterThan(100);
        expect(
          mjr.index.frames.map(({ timeMs, ssrc, payloadType, seq, timestamp }) => ({
            timeMs,
            ssrc,
            payloadType,
            seq,
            timestamp,
          })),
        ).toEqual(expected);
        expect(mjr.index.truncatedBytes).toBe(0);
      } finally {
        await mjr.close();
      }
    },
  );

  it('reads a frame back as the RTP packet it indexed', async () => {
    const mjr = await MjrFile.open(videoPath);
    try {
      const frame = mjr.index.frames[5]!;
      const packet = await mjr.packet(frame);
      expect(packet.length).toBe(frame.length);
      expect(packet[0]! >> 6).toBe(2);
      expect(packet.readUInt16BE(2)).toBe(frame.seq);
      expect(packet.readUInt32BE(4)).toBe(frame.timestamp);
      // The last frame of the fixture ends the file.
      const last = mjr.index.frames.at(-1)!;
      expect(last.offset + last.length).toBe(readFileSync(videoPath).length);
    } finally {
      await mjr.close();
    }
  });

  it('ignores a last frame cut short (a recording that stopped mid-write)', async () => {
    const whole = readFileSync(audioPath);
    const cut = join(tmp, 'cut.mjr');
    writeFileSync(cut, whole.subarray(0, whole.length - 7));
    const mjr = await MjrFile.open(cut);
    try {
      const full = await MjrFile.open(audioPath);
      expect(mjr.index.frames.length).toBe(full.index.frames.length - 1);
      expect(mjr.index.truncatedBytes).toBeGreaterThan(0);
      await full.close();
    } finally {
      await mjr.close();
    }
  });

  it('refuses what is not an .mjr v2 recording', async () => {
    const bad = join(tmp, 'v1.mjr');
    writeFileSync(bad, Buffer.concat([Buffer.from('MJR00001'), Buffer.alloc(32)]));
    await expect(MjrFile.open(bad)).rejects.toBeInstanceOf(MjrFormatError);
    await expect(readMjrHeader(bad)).rejects.toThrow(/MJR00002/);
    const garbage = join(tmp, 'garbage.mjr');
    const whole = readFileSync(audioPath);
    const broken = Buffer.from(whole);
    broken.write('XXXX', 8 + 2 + broken.readUInt16BE(8));
    writeFileSync(garbage, broken);
    await expect(MjrFile.open(garbage)).rejects.toThrow(/no frame header/);
    const noJson = join(tmp, 'nojson.mjr');
    writeFileSync(noJson, Buffer.concat([Buffer.from('MJR00002'), Buffer.from([0, 3]), Buffer.from('{x}')]));
    await expect(MjrFile.open(noJson)).rejects.toThrow(/not JSON/);
  });
});

describe('mjrReader on recordings of our own relay (relay/recording/mjrWriter.ts)', () => {
  it('reads back every packet the writer wrote: header, RTP fields, payload and time', async () => {
    const path = join(tmp, 'ours-video.mjr');
    const writer = await MjrWriter.create({ path, kind: 'video', codec: 'vp8', log: createLogger('silent') });
    const sent: Array<{ seq: number; ts: number; marker: boolean; payload: Buffer }> = [];
    for (let i = 0; i < 40; i++) {
      const payload = Buffer.alloc(100 + i, i);
      const p = { seq: (65520 + i) & 0xffff, ts: (4294960000 + i * 3000) >>> 0, marker: i % 2 === 1, payload };
      writer.writeRtp(0x1234, 100, p.seq, p.ts, p.marker, p.payload);
      sent.push(p);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 30));
    }
    await writer.close();
    const mjr = await MjrFile.open(path);
    try {
      expect(mjr.header).toMatchObject({ kind: 'video', codec: 'vp8', encrypted: false });
      expect(mjr.index.frames).toHaveLength(sent.length);
      // As Janus's recorder, the writer renumbers from seq 1 / timestamp 0, keeping the spacing.
      const first = mjr.index.frames[0]!;
      expect({ seq: first.seq, ts: first.timestamp }).toEqual({ seq: 1, ts: 0 });
      for (const [i, f] of mjr.index.frames.entries()) {
        expect({ seq: f.seq, ts: f.timestamp, marker: f.marker }).toEqual({
          seq: 1 + i,
          ts: (sent[i]!.ts - sent[0]!.ts) >>> 0,
          marker: sent[i]!.marker,
        });
        expect((await mjr.packet(f)).subarray(12)).toEqual(sent[i]!.payload);
      }
      // The pauses show in the frames' times.
      const times = mjr.index.frames.map((f) => f.timeMs);
      expect(times[39]! - times[0]!).toBeGreaterThanOrEqual(80);
      if (ppRec) expect(ppRecFrames(path)).toHaveLength(sent.length);
    } finally {
      await mjr.close();
    }
  });
});
