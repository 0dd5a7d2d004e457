import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketCapture, type PacketCaptureOptions } from '../../../relay/capture/packetCapture.js';
import { PeerCapture } from '../../../relay/capture/peerCapture.js';
import { createLogger } from '../../../relay/logger.js';
import { recordingTotals } from '../../../relay/recording/totals.js';

/** The capture file formats of Janus's text2pcap.c, byte by byte. */

const dir = mkdtempSync(join(tmpdir(), 'capture-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = (name: string, extra: Partial<PacketCaptureOptions> = {}): PacketCaptureOptions => ({
  path: join(dir, name),
  text: false,
  truncate: 0,
  sessionId: 11,
  handleId: 22,
  queueLimitBytes: 1 << 20,
  log: createLogger('silent'),
  ...extra,
});

const rtp = Buffer.from('80e0000100000002000000036162636465666768', 'hex');
const rtcp = Buffer.from('80c8000600000003aaaaaaaabbbbbbbbccccccccdddddddd00000001', 'hex');

describe('PacketCapture', () => {
  it('writes a libpcap 2.4 file, one header even when a later capture appends to it', async () => {
    const opened = recordingTotals.open;
    const a = await PacketCapture.open(options('a.pcap'));
    a.write('rtp', true, rtp);
    a.write('rtcp', false, rtcp);
    await a.close();
    const b = await PacketCapture.open(options('a.pcap'));
    b.write('rtp', false, rtp);
    await b.close();
    expect(recordingTotals.open).toBe(opened);

    const f = readFileSync(join(dir, 'a.pcap'));
    expect(f.subarray(0, 24).toString('hex')).toBe('d4c3b2a1020004000000000000000000ffff000001000000');
    const records: Array<{ frame: Buffer; incl: number; orig: number; sec: number }> = [];
    for (let at = 24; at < f.length;) {
      const incl = f.readUInt32LE(at + 8);
      records.push({
        incl,
        orig: f.readUInt32LE(at + 12),
        sec: f.readUInt32LE(at),
        frame: f.subarray(at + 16, at + 16 + incl),
      });
      at += 16 + incl;
    }
    expect(records.map((r) => r.orig)).toEqual([42 + rtp.length, 42 + rtcp.length, 42 + rtp.length]);
    expect(Math.abs(records[0]!.sec - Date.now() / 1000)).toBeLessThan(60);
    const [first, second] = records;
    // Ethernet, IPv4 (10.1.1.1:1000 → 10.2.2.2:2000 incoming), UDP, then the packet itself
    expect(first!.frame.subarray(0, 14).toString('hex')).toBe('000000000000000000000000' + '0800');
    expect(first!.frame.subarray(14, 34).toString('hex')).toBe(
      '4500' + (28 + rtp.length).toString(16).padStart(4, '0') + '00004000' + '4011' + '0000' + '0a010101' + '0a020202',
    );
    expect(first!.frame.subarray(34, 42).toString('hex')).toBe(
      '03e8' + '07d0' + (8 + rtp.length).toString(16).padStart(4, '0') + '0000',
    );
    expect(first!.frame.subarray(42)).toEqual(rtp);
    expect(second!.frame.subarray(26, 34).toString('hex')).toBe('0a020202' + '0a010101');
    expect(second!.frame.readUInt16BE(34)).toBe(2000);
    expect(second!.frame.subarray(42)).toEqual(rtcp);
  });

  it('keeps `truncate` bytes of each packet and records its whole length', async () => {
    const c = await PacketCapture.open(options('t.pcap', { truncate: 12 }));
    c.write('rtp', true, rtp);
    await c.close();
    const f = readFileSync(join(dir, 't.pcap'));
    expect([f.readUInt32LE(24 + 8), f.readUInt32LE(24 + 12)]).toEqual([42 + 12, 42 + rtp.length]);
    expect(f.subarray(24 + 16 + 42)).toEqual(rtp.subarray(0, 12));
  });

  it("writes Janus's text2pcap lines", async () => {
    const c = await PacketCapture.open(options('t.txt', { text: true, truncate: 4 }));
    c.write('rtp', true, rtp);
    c.write('rtcp', false, rtcp);
    await c.close();
    const lines = readFileSync(join(dir, 't.txt'), 'latin1').split('\r\n');
    expect(lines[2]).toBe('');
    expect(lines[0]).toMatch(
      /^I \d\d:\d\d:\d\d\.\d{6} 000000 {2}80 e0 00 01 JANUS_TEXT2PCAP_RTP \[session=11\]\[handle=22\]$/,
    );
    expect(lines[1]).toMatch(
      /^O \d\d:\d\d:\d\d\.\d{6} 000000 {2}80 c8 00 06 JANUS_TEXT2PCAP_RTCP \[session=11\]\[handle=22\]$/,
    );
  });

  it('drops and counts what does not fit its bounded queue, and writes nothing after close', async () => {
    const c = await PacketCapture.open(options('q.pcap', { queueLimitBytes: 24 + 3 * (16 + 42 + rtp.length) }));
    for (let i = 0; i < 10; i++) c.write('rtp', true, rtp);
    expect(c.packets).toBe(3);
    expect(c.dropped).toBe(7);
    await c.close();
    c.write('rtp', true, rtp);
    expect(readFileSync(join(dir, 'q.pcap')).length).toBe(24 + 3 * (16 + 42 + rtp.length));
  });
});

describe('PeerCapture', () => {
  it('one capture at a time; a peer that ends while the file opens leaves no file open', async () => {
    const opened = recordingTotals.open;
    const peer = new PeerCapture(() => []);
    expect(await peer.start(options('p.pcap'))).toBe(join(dir, 'p.pcap'));
    await expect(peer.start(options('p2.txt', { text: true }))).rejects.toThrow('text2pcap already started');
    expect(peer.info()).toEqual({ text: false, file: join(dir, 'p.pcap') });
    expect(await peer.stop()).toBe(true);
    expect(await peer.stop()).toBe(false);

    const starting = peer.start(options('race.pcap'));
    const ended = peer.end(); // the hang-up, while the file is being opened
    await expect(starting).rejects.toThrow('PeerConnection is closing');
    expect(await ended).toBe(false);
    expect(peer.info()).toBeUndefined();
    await expect(peer.start(options('late.pcap'))).rejects.toThrow('PeerConnection is closing');
    expect(recordingTotals.open).toBe(opened);
  });
});
