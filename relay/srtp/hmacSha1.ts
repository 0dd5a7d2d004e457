import { hash } from 'node:crypto';
import { SHA1_INIT, sha1Compress } from './sha1Block.js';

/**
 * HMAC-SHA1 (RFC 2104) for SRTP authentication tags, keyed once per session.
 *
 * The inner hash runs in OpenSSL (SHA-NI where present) over `ipad || message`: callers build the
 * message 64 bytes into a buffer whose first 64 bytes they let {@link HmacSha1.tag} fill with the
 * ipad block, so one one-shot `crypto.hash` call covers it with no HMAC object per packet
 * (`createHmac` per packet costs a context and a key setup). The outer hash is one JavaScript
 * SHA-1 block from the precomputed opad state.
 */
export const IPAD_ROOM = 64;

export class HmacSha1 {
  private readonly ipad = Buffer.alloc(64, 0x36);
  private readonly outerState = new Int32Array(5);
  private readonly state = new Int32Array(5);
  /** digest || 0x80 || zeros || bit length of opad block + digest (84 bytes = 672 bits). */
  private readonly outerBlock = Buffer.alloc(64);

  constructor(key: Buffer) {
    if (key.length > 64) throw new Error('HMAC key longer than a block');
    const opad = Buffer.alloc(64, 0x5c);
    for (let i = 0; i < key.length; i++) {
      this.ipad[i]! ^= key[i]!;
      opad[i]! ^= key[i]!;
    }
    this.outerState.set(SHA1_INIT);
    sha1Compress(this.outerState, opad, 0);
    this.outerBlock[20] = 0x80;
    this.outerBlock.writeUInt32BE(84 * 8, 60);
  }

  /**
   * Writes the first `tagLength` bytes of HMAC(key, buf[IPAD_ROOM .. end]) at `buf[tagOffset..]`;
   * `buf[0 .. IPAD_ROOM]` is overwritten with the ipad block.
   */
  tag(buf: Buffer, end: number, tagOffset: number, tagLength: number): void {
    this.ipad.copy(buf, 0);
    const inner = hash('sha1', buf.subarray(0, end), 'buffer');
    const ob = this.outerBlock;
    inner.copy(ob, 0);
    const s = this.state;
    s.set(this.outerState);
    sha1Compress(s, ob, 0);
    for (let i = 0; i < tagLength; i++) buf[tagOffset + i] = (s[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
  }
}
