import { open, type FileHandle } from 'node:fs/promises';

/**
 * A small reader of Opus packets from an Ogg file (RFC 3533 pages, RFC 7845 Opus mapping), as
 * Janus's AudioBridge plays with libogg: the first logical stream's packets in order, the OpusHead
 * and OpusTags headers checked and skipped. It reads the file in 16 KiB pieces on demand
 * (asynchronously, never on the mixer's tick), so a long file costs no more memory than a short one.
 */

const READ_BYTES = 16 * 1024;
const PAGE_HEADER_BYTES = 27;

export class OggOpusReader {
  private buf = Buffer.alloc(0);
  private position = 0;
  private eof = false;
  private serial = -1;
  /** A packet continued on the next page. */
  private partial: Buffer[] = [];
  /** Packets of the last page read, not yet taken. */
  private pending: Buffer[] = [];
  private headersSeen = 0;
  /** Channels and pre-skip from OpusHead. */
  channels = 0;

  private constructor(private readonly fh: FileHandle) {}

  /** Opens the file and checks it starts with an OpusHead (otherwise it throws). */
  static async open(path: string): Promise<OggOpusReader> {
    const fh = await open(path, 'r');
    const r = new OggOpusReader(fh);
    try {
      const head = await r.readHeaderPackets();
      if (!head) throw new Error('not an Ogg Opus file');
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return r;
  }

  /** Back to the first audio packet (a looping announcement). */
  async rewind(): Promise<void> {
    this.buf = Buffer.alloc(0);
    this.position = 0;
    this.eof = false;
    this.serial = -1;
    this.partial = [];
    this.pending = [];
    this.headersSeen = 0;
    await this.readHeaderPackets();
  }

  private async readHeaderPackets(): Promise<boolean> {
    const head = await this.nextRaw();
    if (!head || head.length < 19 || head.toString('ascii', 0, 8) !== 'OpusHead') return false;
    this.channels = head[9]!;
    const tags = await this.nextRaw();
    if (!tags || tags.toString('ascii', 0, 8) !== 'OpusTags') return false;
    this.headersSeen = 2;
    return true;
  }

  /** The next audio packet, or undefined at the end of the file. */
  async next(): Promise<Buffer | undefined> {
    if (this.headersSeen < 2) return undefined;
    return this.nextRaw();
  }

  private async nextRaw(): Promise<Buffer | undefined> {
    while (this.pending.length === 0) {
      const page = await this.readPage();
      if (!page) return undefined;
    }
    return this.pending.shift();
  }

  /** Reads one page of the first stream into `pending`; false at the end of the file. */
  private async readPage(): Promise<boolean> {
    for (;;) {
      if (!(await this.fill(PAGE_HEADER_BYTES))) return false;
      const b = this.buf;
      if (b.toString('ascii', 0, 4) !== 'OggS') throw new Error('corrupt Ogg page');
      const segments = b[26]!;
      if (!(await this.fill(PAGE_HEADER_BYTES + segments))) return false;
      let bodyLen = 0;
      for (let i = 0; i < segments; i++) bodyLen += this.buf[PAGE_HEADER_BYTES + i]!;
      const total = PAGE_HEADER_BYTES + segments + bodyLen;
      if (!(await this.fill(total))) return false;
      const page = this.buf.subarray(0, total);
      this.buf = this.buf.subarray(total);
      const serial = page.readUInt32LE(14);
      if (this.serial < 0) this.serial = serial;
      if (serial !== this.serial) continue; // another logical stream: not ours
      const continued = (page[5]! & 0x01) !== 0;
      if (!continued) this.partial = [];
      let off = PAGE_HEADER_BYTES + segments;
      let piece: Buffer[] = this.partial;
      for (let i = 0; i < segments; i++) {
        const len = page[PAGE_HEADER_BYTES + i]!;
        piece.push(Buffer.from(page.subarray(off, off + len)));
        off += len;
        if (len < 255) {
          this.pending.push(Buffer.concat(piece));
          piece = [];
        }
      }
      this.partial = piece;
      return true;
    }
  }

  /** Makes `n` bytes available in `buf`; false when the file ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) {
      if (this.eof) return false;
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      const { bytesRead } = await this.fh.read(chunk, 0, READ_BYTES, this.position);
      if (bytesRead === 0) {
        this.eof = true;
        return false;
      }
      this.position += bytesRead;
      this.buf = Buffer.concat([this.buf, chunk.subarray(0, bytesRead)]);
    }
    return true;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
