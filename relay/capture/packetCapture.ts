import { open } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import { BoundedFileWriter } from '../recording/boundedFileWriter.js';
import { DEFAULT_SYNC_EVERY_BYTES } from '../recording/mjrWriter.js';
import { recordingTotals } from '../recording/totals.js';
import { nowUs } from '../recording/wallClock.js';

/**
 * A debugging capture of one peer's clear RTP and RTCP, both ways (Janus's `start_pcap` /
 * `start_text2pcap` admin requests, src/text2pcap.c): a libpcap 2.4 file whose packets carry a made-up
 * Ethernet/IPv4/UDP envelope (incoming 10.1.1.1:1000 → 10.2.2.2:2000, outgoing the reverse), or the
 * text that Wireshark's `text2pcap -D -n -l 1 -i 17 -u 1000,2000 -t '%H:%M:%S.'` turns into one. As in
 * Janus the file is opened for appending; unlike Janus, the pcap header is written only into an empty
 * file, so a capture appended to an earlier one stays readable. Packets are copied into the current
 * chunk and written off the packet path (../recording/boundedFileWriter.ts: bounded queue, pages
 * released every ~2 MB); what does not fit is dropped and counted.
 */

const CHUNK_BYTES = 64 * 1024;
const FLUSH_EVERY_MS = 1000;
/** Ethernet (14) + IPv4 (20) + UDP (8) in front of each packet. */
const ENVELOPE_BYTES = 42;
const RECORD_HEADER_BYTES = 16;

export type CapturedKind = 'rtp' | 'rtcp';

export interface PacketCaptureOptions {
  path: string;
  /** text2pcap's text instead of a pcap file. */
  text: boolean;
  /** Bytes kept of each packet; 0 keeps them whole. */
  truncate: number;
  /** Janus's `[session=…][handle=…]` at the end of each text line. */
  sessionId: number;
  handleId: number;
  queueLimitBytes: number;
  log: Logger;
}

export class PacketCapture {
  readonly path: string;
  readonly text: boolean;
  private readonly file: BoundedFileWriter;
  private readonly suffix: string;
  packets = 0;
  dropped = 0;

  /** Opens (appending) `path`; the pcap header goes into a file that is empty. */
  static async open(opts: PacketCaptureOptions): Promise<PacketCapture> {
    const fh = await open(opts.path, 'a', 0o644);
    recordingTotals.open++;
    let size: number;
    try {
      size = (await fh.stat()).size;
    } catch (err) {
      await fh.close().catch(() => undefined);
      recordingTotals.open--;
      throw err;
    }
    return new PacketCapture(fh, opts, size === 0);
  }

  private constructor(
    fh: Awaited<ReturnType<typeof open>>,
    private readonly opts: PacketCaptureOptions,
    empty: boolean,
  ) {
    this.path = opts.path;
    this.text = opts.text;
    this.suffix = ` [session=${opts.sessionId}][handle=${opts.handleId}]\r\n`;
    this.file = new BoundedFileWriter(fh, {
      path: opts.path,
      log: opts.log,
      failureMessage: 'packet capture ended by a disk error',
      chunkBytes: CHUNK_BYTES,
      queueLimitBytes: opts.queueLimitBytes,
      syncEveryBytes: DEFAULT_SYNC_EVERY_BYTES,
      flushEveryMs: FLUSH_EVERY_MS,
    });
    if (!opts.text && empty) this.file.used = writeGlobalHeader(this.file.chunk, 0);
  }

  get open(): boolean {
    return this.file.open;
  }

  /** One clear packet; `incoming` from the client. Copies, never waits, never throws. */
  write(kind: CapturedKind, incoming: boolean, packet: Uint8Array): void {
    const file = this.file;
    if (!file.open || packet.length === 0) return;
    const t = this.opts.truncate;
    const kept = t > 0 && packet.length > t ? t : packet.length;
    if (this.text) {
      const line = textLine(kind, incoming, packet, kept, this.suffix);
      if (!file.room(line.length)) return this.drop();
      file.used += file.chunk.write(line, file.used, 'latin1');
    } else {
      if (!file.room(RECORD_HEADER_BYTES + ENVELOPE_BYTES + kept)) return this.drop();
      file.used = writeRecord(file.chunk, file.used, incoming, packet, kept);
    }
    this.packets++;
  }

  private drop(): void {
    this.dropped++;
    recordingTotals.packetsDropped++;
  }

  /** Writes what is queued and closes the file. Idempotent. */
  async close(): Promise<void> {
    await this.file.close();
  }
}

/** libpcap's global header (little-endian): v2.4, µs timestamps, snaplen 65535, Ethernet. */
function writeGlobalHeader(b: Buffer, at: number): number {
  b.writeUInt32LE(0xa1b2c3d4, at);
  b.writeUInt16LE(2, at + 4);
  b.writeUInt16LE(4, at + 6);
  b.writeInt32LE(0, at + 8);
  b.writeUInt32LE(0, at + 12);
  b.writeUInt32LE(65535, at + 16);
  b.writeUInt32LE(1, at + 20);
  return at + 24;
}

/** One pcap record: its header, the made-up envelope, then `kept` bytes of the packet. */
function writeRecord(b: Buffer, at: number, incoming: boolean, packet: Uint8Array, kept: number): number {
  const us = nowUs();
  const len = packet.length;
  b.writeUInt32LE(Math.floor(us / 1e6) >>> 0, at);
  b.writeUInt32LE(us % 1e6, at + 4);
  b.writeUInt32LE(ENVELOPE_BYTES + kept, at + 8);
  b.writeUInt32LE(ENVELOPE_BYTES + len, at + 12);
  let o = at + RECORD_HEADER_BYTES;
  b.fill(0, o, o + 12); // Ethernet addresses
  b.writeUInt16BE(0x0800, o + 12);
  o += 14;
  const [src, dst] = incoming ? [1, 2] : [2, 1];
  b[o] = 0x45; // IPv4, 20-byte header
  b[o + 1] = 0;
  b.writeUInt16BE(28 + len, o + 2);
  b.writeUInt16BE(0, o + 4);
  b.writeUInt16BE(0x4000, o + 6); // don't fragment
  b[o + 8] = 64;
  b[o + 9] = 17; // UDP
  b.writeUInt16BE(0, o + 10);
  for (let i = 0; i < 4; i++) {
    b[o + 12 + i] = i === 0 ? 10 : src;
    b[o + 16 + i] = i === 0 ? 10 : dst;
  }
  o += 20;
  b.writeUInt16BE(incoming ? 1000 : 2000, o);
  b.writeUInt16BE(incoming ? 2000 : 1000, o + 2);
  b.writeUInt16BE(8 + len, o + 4);
  b.writeUInt16BE(0, o + 6);
  o += 8;
  b.set(packet.subarray(0, kept), o);
  return o + kept;
}

const HEX = Array.from({ length: 256 }, (_, i) => ` ${i.toString(16).padStart(2, '0')}`);

/** Janus's text line: `I|O HH:MM:SS.uuuuuu 000000 ` then ` xx` per byte, the kind, the ids. */
function textLine(kind: CapturedKind, incoming: boolean, packet: Uint8Array, kept: number, suffix: string): string {
  const us = nowUs();
  const d = new Date(Math.floor(us / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(us % 1e6).padStart(6, '0')}`;
  let bytes = '';
  for (let i = 0; i < kept; i++) bytes += HEX[packet[i]!];
  return `${incoming ? 'I' : 'O'} ${time} 000000 ${bytes} ${kind === 'rtp' ? 'JANUS_TEXT2PCAP_RTP' : 'JANUS_TEXT2PCAP_RTCP'}${suffix}`;
}
