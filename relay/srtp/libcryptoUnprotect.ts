import type { DerivedKeys } from './kdf.js';
import { keyDirections, type KeyedDirection } from './libcryptoKeyed.js';
import { EVP_CTRL_GCM_SET_TAG, type Libcrypto } from './libcrypto.js';
import { tagsEqual, writeIv } from './packetLayout.js';
import { SRTP_AEAD_AES_128_GCM, rtcpTagLength, type SrtpProfile } from './profile.js';
import type { UnprotectCipher } from './unprotectorApi.js';

/**
 * Inbound SRTP / SRTCP over libcrypto (through koffi), contexts keyed once per key as on the send
 * side (libcryptoProtector.ts), initialised for decryption. The packet is copied into the cipher's
 * own memory (one ArrayBuffer off the V8 heap: libcrypto sees addresses only), authenticated there,
 * decrypted in place, and the clear packet copied out into a buffer of its own (werift's RTP
 * objects keep it):
 * - AES-CM: HMAC-SHA1 over header || encrypted payload || ROC from the reused HMAC_CTX, its tag
 *   compared in constant time with the packet's, and only then AES-128-CTR over the payload.
 * - AEAD_AES_128_GCM: the header as AAD, the payload decrypted, the tag set and checked by
 *   EVP_DecryptFinal_ex; a packet that fails it is never copied out.
 * The native contexts are freed when the cipher is garbage-collected (a re-keyed or closed transport).
 */

const IV = 0;
const OUTL = 16;
const MAC = 32; // HMAC-SHA1 digest (20) or the SRTCP E || index (4) for GCM's AAD
const KEYS = 64; // key (16) + HMAC key (20), zeroed once the contexts hold them
const OUT = 128;
const INITIAL_OUTPUT = 2048;

export class LibcryptoUnprotectCipher implements UnprotectCipher {
  readonly implementation = 'libcrypto';
  private readonly gcm: boolean;
  private readonly rtcpTag: number;
  private readonly rtpD: KeyedDirection;
  private readonly rtcpD: KeyedDirection;
  private mem: Buffer;
  private base: number;
  private output: Buffer;

  constructor(
    private readonly lc: Libcrypto,
    profile: SrtpProfile,
    keys: DerivedKeys,
  ) {
    this.gcm = profile === SRTP_AEAD_AES_128_GCM;
    this.rtcpTag = rtcpTagLength(profile);
    this.mem = Buffer.from(new ArrayBuffer(OUT + INITIAL_OUTPUT));
    this.base = lc.address(this.mem);
    this.output = this.mem.subarray(OUT);
    const keyed = keyDirections(this, lc, this.mem, KEYS, this.gcm, keys, 'decrypt');
    this.rtpD = keyed.rtp;
    this.rtcpD = keyed.rtcp;
  }

  /** Room for a packet of `bytes` (plus the 4-byte ROC appended for the HMAC). */
  private reserve(bytes: number): void {
    if (bytes <= this.output.length) return;
    this.mem = Buffer.from(new ArrayBuffer(OUT + bytes * 2));
    this.base = this.lc.address(this.mem);
    this.output = this.mem.subarray(OUT);
  }

  rtp(packet: Buffer, headerLength: number, end: number, ssrc: number, seq: number, roc: number): Buffer | undefined {
    const len = packet.length;
    this.reserve(len + 4);
    const lc = this.lc;
    const d = this.rtpD;
    const out = this.base + OUT;
    const outl = this.base + OUTL;
    const o = this.output;
    writeIv(this.mem, this.gcm, d.salt, ssrc, roc, seq);
    if (this.gcm) {
      packet.copy(o, 0, 0, len);
      let ok = lc.EVP_DecryptInit_ex(d.cipher, 0, 0, 0, this.base + IV);
      ok &= lc.EVP_DecryptUpdateAt(d.cipher, 0, outl, out, headerLength);
      if (end > headerLength)
        ok &= lc.EVP_DecryptUpdateAt(d.cipher, out + headerLength, outl, out + headerLength, end - headerLength);
      ok &= lc.EVP_CIPHER_CTX_ctrl(d.cipher, EVP_CTRL_GCM_SET_TAG, 16, out + end);
      ok &= len - end === 16 ? lc.EVP_DecryptFinal_ex(d.cipher, this.base + MAC, outl) : 0;
      return ok === 1 ? Buffer.from(o.subarray(0, end)) : undefined;
    }
    packet.copy(o, 0, 0, end);
    o.writeUInt32BE(roc >>> 0, end);
    let ok = lc.HMAC_Init_ex(d.hmac, 0, 0, 0, 0);
    ok &= lc.HMAC_Update(d.hmac, out, end + 4);
    ok &= lc.HMAC_Final(d.hmac, this.base + MAC, 0);
    if (ok !== 1 || !tagsEqual(this.mem, MAC, packet, end, len - end)) return undefined;
    if (end > headerLength) {
      ok = lc.EVP_DecryptInit_ex(d.cipher, 0, 0, 0, this.base + IV);
      ok &= lc.EVP_DecryptUpdateAt(d.cipher, out + headerLength, outl, out + headerLength, end - headerLength);
      if (ok !== 1) return undefined;
    }
    return Buffer.from(o.subarray(0, end));
  }

  rtcp(packet: Buffer, end: number, ssrc: number, eIndex: number): Buffer | undefined {
    const len = packet.length;
    this.reserve(len);
    const lc = this.lc;
    const d = this.rtcpD;
    const out = this.base + OUT;
    const outl = this.base + OUTL;
    const o = this.output;
    const encrypted = eIndex >>> 31 === 1;
    const index = eIndex & 0x7fffffff;
    writeIv(this.mem, this.gcm, d.salt, ssrc, index >>> 16, index & 0xffff);
    packet.copy(o, 0, 0, len);
    if (this.gcm) {
      // AAD = header || E || index, or the whole clear packet || E || index when E = 0 (RFC 7714 §9.3)
      this.mem.writeUInt32BE(eIndex >>> 0, MAC);
      const aad = encrypted ? 8 : end;
      let ok = lc.EVP_DecryptInit_ex(d.cipher, 0, 0, 0, this.base + IV);
      ok &= lc.EVP_DecryptUpdateAt(d.cipher, 0, outl, out, aad);
      ok &= lc.EVP_DecryptUpdateAt(d.cipher, 0, outl, this.base + MAC, 4);
      if (end > aad) ok &= lc.EVP_DecryptUpdateAt(d.cipher, out + aad, outl, out + aad, end - aad);
      ok &= lc.EVP_CIPHER_CTX_ctrl(d.cipher, EVP_CTRL_GCM_SET_TAG, 16, out + end);
      ok &= lc.EVP_DecryptFinal_ex(d.cipher, this.base + MAC, outl);
      return ok === 1 ? Buffer.from(o.subarray(0, end)) : undefined;
    }
    const authEnd = end + 4;
    let ok = lc.HMAC_Init_ex(d.hmac, 0, 0, 0, 0);
    ok &= lc.HMAC_Update(d.hmac, out, authEnd);
    ok &= lc.HMAC_Final(d.hmac, this.base + MAC, 0);
    if (ok !== 1 || !tagsEqual(this.mem, MAC, packet, authEnd, this.rtcpTag)) return undefined;
    if (encrypted && end > 8) {
      ok = lc.EVP_DecryptInit_ex(d.cipher, 0, 0, 0, this.base + IV);
      ok &= lc.EVP_DecryptUpdateAt(d.cipher, out + 8, outl, out + 8, end - 8);
      if (ok !== 1) return undefined;
    }
    return Buffer.from(o.subarray(0, end));
  }
}
