import type { DerivedKeys } from './kdf.js';
import { keyDirections, type KeyedDirection } from './libcryptoKeyed.js';
import { EVP_CTRL_GCM_GET_TAG, type Libcrypto } from './libcrypto.js';
import { SRTP_AEAD_AES_128_GCM, rtcpTagLength, rtpTagLength, type SrtpProfile } from './profile.js';
import type { SrtpProtector } from './protectorApi.js';

/**
 * SRTP / SRTCP protection over libcrypto (through koffi), contexts keyed once per key:
 * - AES-CM: one AES-128-CTR EVP_CIPHER_CTX whose IV alone is reset per packet, encrypting the
 *   payload straight into the output buffer; one HMAC_CTX (SHA-1) reset per packet, which reuses
 *   its precomputed ipad/opad digests; the tag is written in place of the ROC it covered. Five calls.
 * - AEAD_AES_128_GCM: one AES-128-GCM EVP_CIPHER_CTX, IV set per packet, the header as AAD. Five calls.
 * Measured on the target machine: ~0.6 µs (AES-CM) / ~0.45 µs (GCM) per 200-byte packet, ~1.2 / ~0.6
 * at 1,100 bytes; Node's crypto path ~3.5 / ~5.2 for AES-CM.
 *
 * Every address libcrypto sees is the protector's own memory (one ArrayBuffer: off the V8 heap, it
 * never moves) but the payload, which koffi passes as the Buffer it is: nothing is allocated per
 * packet. {@link output} is reused by the next packet. The native contexts are freed when the
 * protector is garbage-collected (re-keyed transports, closed forwarders drop theirs).
 */

const IV = 0;
const OUTL = 16;
const IDX = 20;
const KEYS = 32; // key (16) + HMAC key (20), zeroed once the contexts hold them
const OUT = 128;
const INITIAL_OUTPUT = 2048;

export class LibcryptoSrtpProtector implements SrtpProtector {
  readonly implementation = 'libcrypto';
  readonly reusesOutput = true;
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  output: Buffer;
  private readonly gcm: boolean;
  private readonly rtp: KeyedDirection;
  private readonly rtcp: KeyedDirection;
  private mem: Buffer;
  private base: number;

  constructor(
    private readonly lc: Libcrypto,
    readonly profile: SrtpProfile,
    keys: DerivedKeys,
  ) {
    this.gcm = profile === SRTP_AEAD_AES_128_GCM;
    this.rtpTagLength = rtpTagLength(profile);
    this.rtcpTagLength = rtcpTagLength(profile);
    this.mem = Buffer.from(new ArrayBuffer(OUT + INITIAL_OUTPUT));
    this.base = lc.address(this.mem);
    this.output = this.mem.subarray(OUT);
    const keyed = keyDirections(this, lc, this.mem, KEYS, this.gcm, keys, 'encrypt');
    this.rtp = keyed.rtp;
    this.rtcp = keyed.rtcp;
  }

  /** Room for `bytes` of output (the tag's 20-byte HMAC digest included). */
  private reserve(bytes: number): void {
    if (bytes <= this.output.length) return;
    this.mem = Buffer.from(new ArrayBuffer(OUT + bytes * 2));
    this.base = this.lc.address(this.mem);
    this.output = this.mem.subarray(OUT);
  }

  /** Writes the 16-byte counter / 12-byte IV at IV: salt XOR the packet's fields (RFC 3711 §4.1.1, RFC 7714 §8.1, §9.1). */
  private setIv(salt: Uint8Array, a: number, b: number, c: number): void {
    const m = this.mem;
    if (this.gcm) {
      // 0^16 || a (32) || b (32) || c (16)
      m[0] = 0;
      m[1] = 0;
      m.writeUInt32BE(a >>> 0, 2);
      m.writeUInt32BE(b >>> 0, 6);
      m.writeUInt16BE(c & 0xffff, 10);
      for (let i = 0; i < 12; i++) m[i]! ^= salt[i]!;
    } else {
      // 0^32 || a (32) || b (32) || c (16) || 0^16
      m.writeUInt32BE(0, 0);
      m.writeUInt32BE(a >>> 0, 4);
      m.writeUInt32BE(b >>> 0, 8);
      m.writeUInt32BE(((c & 0xffff) << 16) >>> 0, 12);
      for (let i = 0; i < 14; i++) m[i]! ^= salt[i]!;
    }
  }

  protectRtpInto(
    header: Buffer,
    headerLength: number,
    payload: Buffer,
    ssrc: number,
    seq: number,
    roc: number,
  ): number {
    const len = payload.length;
    const end = headerLength + len;
    this.reserve(end + 20);
    const lc = this.lc;
    const d = this.rtp;
    const out = this.base + OUT;
    const outl = this.base + OUTL;
    header.copy(this.output, 0, 0, headerLength);
    if (this.gcm) {
      this.setIv(d.salt, ssrc, roc, seq);
      let ok = lc.EVP_EncryptInit_ex(d.cipher, 0, 0, 0, this.base + IV);
      ok &= lc.EVP_EncryptUpdateAt(d.cipher, 0, outl, out, headerLength);
      if (len > 0) ok &= lc.EVP_EncryptUpdate(d.cipher, out + headerLength, outl, payload, len);
      ok &= lc.EVP_EncryptFinal_ex(d.cipher, out + end, outl);
      ok &= lc.EVP_CIPHER_CTX_ctrl(d.cipher, EVP_CTRL_GCM_GET_TAG, 16, out + end);
      if (ok !== 1) throw new Error('SRTP GCM encryption failed');
      return end + 16;
    }
    this.setIv(d.salt, ssrc, roc, seq);
    let ok = lc.EVP_EncryptInit_ex(d.cipher, 0, 0, 0, this.base + IV);
    if (len > 0) ok &= lc.EVP_EncryptUpdate(d.cipher, out + headerLength, outl, payload, len);
    // authenticated: header || encrypted payload || ROC; the tag then overwrites the ROC
    this.output.writeUInt32BE(roc >>> 0, end);
    ok &= lc.HMAC_Init_ex(d.hmac, 0, 0, 0, 0);
    ok &= lc.HMAC_Update(d.hmac, out, end + 4);
    ok &= lc.HMAC_Final(d.hmac, out + end, 0);
    if (ok !== 1) throw new Error('SRTP AES-CM protection failed');
    return end + this.rtpTagLength;
  }

  protectRtp(header: Buffer, headerLength: number, payload: Buffer, ssrc: number, seq: number, roc: number): Buffer {
    const n = this.protectRtpInto(header, headerLength, payload, ssrc, seq, roc);
    return Buffer.from(this.output.subarray(0, n));
  }

  protectRtcp(packet: Buffer, index: number): Buffer {
    const len = packet.length;
    if (len < 8) throw new Error('RTCP packet shorter than its header');
    this.reserve(len + 24);
    const ssrc = packet.readUInt32BE(4);
    const eIndex = (0x80000000 | index) >>> 0;
    const lc = this.lc;
    const d = this.rtcp;
    const out = this.base + OUT;
    const outl = this.base + OUTL;
    const o = this.output;
    packet.copy(o, 0);
    if (this.gcm) {
      // AAD = header || E || index; the tag, then E || index, follow the encrypted body
      // IV = salt XOR (0^16 || SSRC || 0^16 || 0 || index) (RFC 7714 §9.1)
      const m = this.mem;
      m.writeUInt16BE(0, 0);
      m.writeUInt32BE(ssrc, 2);
      m.writeUInt16BE(0, 6);
      m.writeUInt32BE(index & 0x7fffffff, 8);
      for (let i = 0; i < 12; i++) m[i]! ^= d.salt[i]!;
      this.mem.writeUInt32BE(eIndex, IDX);
      let ok = lc.EVP_EncryptInit_ex(d.cipher, 0, 0, 0, this.base + IV);
      ok &= lc.EVP_EncryptUpdateAt(d.cipher, 0, outl, out, 8);
      ok &= lc.EVP_EncryptUpdateAt(d.cipher, 0, outl, this.base + IDX, 4);
      if (len > 8) ok &= lc.EVP_EncryptUpdateAt(d.cipher, out + 8, outl, out + 8, len - 8);
      ok &= lc.EVP_EncryptFinal_ex(d.cipher, out + len, outl);
      ok &= lc.EVP_CIPHER_CTX_ctrl(d.cipher, EVP_CTRL_GCM_GET_TAG, 16, out + len);
      if (ok !== 1) throw new Error('SRTCP GCM encryption failed');
      o.writeUInt32BE(eIndex, len + 16);
      return Buffer.from(o.subarray(0, len + 20));
    }
    this.setIv(d.salt, ssrc, index >>> 16, index & 0xffff);
    let ok = lc.EVP_EncryptInit_ex(d.cipher, 0, 0, 0, this.base + IV);
    if (len > 8) ok &= lc.EVP_EncryptUpdateAt(d.cipher, out + 8, outl, out + 8, len - 8);
    o.writeUInt32BE(eIndex, len);
    ok &= lc.HMAC_Init_ex(d.hmac, 0, 0, 0, 0);
    ok &= lc.HMAC_Update(d.hmac, out, len + 4);
    ok &= lc.HMAC_Final(d.hmac, out + len + 4, 0);
    if (ok !== 1) throw new Error('SRTCP AES-CM protection failed');
    return Buffer.from(o.subarray(0, len + 4 + this.rtcpTagLength));
  }
}
