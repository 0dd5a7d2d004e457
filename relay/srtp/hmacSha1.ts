import { hash } from 'node:crypto';
import { SHA1_INIT, sha1Compress } from './sha1Block.js';

/**
 * HMAC-SHA1 (RFC 2104) for SRTP authentication tags, keyed once per session: the SHA-1 states
 * after the ipad and opad blocks are computed here, never per packet (`createHmac` per packet
 * costs a context and this key set-up every time).
 *
 * The inner hash of a short message (≤ {@link JS_INNER_BLOCKS} blocks: audio, small video packets)
 * runs in JavaScript from the ipad state; a longer one in OpenSSL (SHA-NI where present) as one
 * one-shot `crypto.hash` over `ipad || message`, so callers build the message {@link IPAD_ROOM}
 * bytes into a buffer whose first 64 bytes {@link HmacSha1.tag} fills with the ipad block. A call
 * into OpenSSL costs ~1.2 µs whatever the length, a JavaScript SHA-1 block ~0.2 µs (measured on
 * the target machine): the cut is where they meet. The outer hash is always one JavaScript block.
 */
export const IPAD_ROOM = 64;
/** Inner hashes of at most this many blocks (message + padding, after the ipad block) run in JavaScript. */
export const JS_INNER_BLOCKS = 5;

export class HmacSha1 {
  private readonly ipad = Buffer.alloc(64, 0x36);
  private readonly innerState = new Int32Array(5);
  private readonly outerState = new Int32Array(5);
  private readonly state = new Int32Array(5);
  /** The inner hash's last block(s): message tail, 0x80, zeros, bit length. */
  private readonly tail = new Uint8Array(128);
  /** digest || 0x80 || zeros || bit length of opad block + digest (84 bytes = 672 bits). */
  private readonly outerBlock = Buffer.alloc(64);

  constructor(key: Buffer) {
    if (key.length > 64) throw new Error('HMAC key longer than a block');
    const opad = Buffer.alloc(64, 0x5c);
    for (let i = 0; i < key.length; i++) {
      this.ipad[i]! ^= key[i]!;
      opad[i]! ^= key[i]!;
    }
    this.innerState.set(SHA1_INIT);
    sha1Compress(this.innerState, this.ipad, 0);
    this.outerState.set(SHA1_INIT);
    sha1Compress(this.outerState, opad, 0);
    this.outerBlock[20] = 0x80;
    this.outerBlock.writeUInt32BE(84 * 8, 60);
  }

  /**
   * Writes the first `tagLength` bytes of HMAC(key, buf[IPAD_ROOM .. end]) at `buf[tagOffset..]`;
   * `buf[0 .. IPAD_ROOM]` may be overwritten with the ipad block.
   */
  tag(buf: Buffer, end: number, tagOffset: number, tagLength: number): void {
    const ob = this.outerBlock;
    const s = this.state;
    const m = end - IPAD_ROOM;
    if ((m + 9 + 63) >> 6 <= JS_INNER_BLOCKS) {
      s.set(this.innerState);
      let o = IPAD_ROOM;
      for (; o + 64 <= end; o += 64) sha1Compress(s, buf, o);
      const t = this.tail;
      t.fill(0);
      const rest = end - o;
      for (let i = 0; i < rest; i++) t[i] = buf[o + i]!;
      t[rest] = 0x80;
      const blocks = rest + 9 > 64 ? 2 : 1;
      const bits = (64 + m) * 8;
      const at = blocks * 64 - 4;
      t[at] = bits >>> 24;
      t[at + 1] = (bits >>> 16) & 0xff;
      t[at + 2] = (bits >>> 8) & 0xff;
      t[at + 3] = bits & 0xff;
      sha1Compress(s, t, 0);
      if (blocks === 2) sha1Compress(s, t, 64);
      for (let i = 0; i < 20; i++) ob[i] = (s[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
    } else {
      this.ipad.copy(buf, 0);
      (hash('sha1', buf.subarray(0, end), 'buffer') as Buffer).copy(ob, 0);
    }
    s.set(this.outerState);
    sha1Compress(s, ob, 0);
    for (let i = 0; i < tagLength; i++) buf[tagOffset + i] = (s[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
  }
}
