import { createDecipheriv } from 'node:crypto';
import { HmacSha1, IPAD_ROOM } from './hmacSha1.js';
import type { DerivedKeys, SessionKeys } from './kdf.js';
import { AesKeystream, xorInto } from './keystream.js';
import { tagsEqual, writeIv } from './packetLayout.js';
import { SRTP_AEAD_AES_128_GCM, rtcpTagLength, type SrtpProfile } from './profile.js';
import type { UnprotectCipher } from './unprotectorApi.js';

/**
 * Inbound SRTP / SRTCP over Node's crypto, the fallback where libcrypto does not load
 * (relay/srtp/libcryptoUnprotect.ts). AES-CM: the packet is copied once into a fresh buffer with
 * room for the HMAC's ipad block before it, the tag recomputed from the precomputed HMAC states
 * (hmacSha1.ts) and compared in constant time, then the payload decrypted in place with one
 * AES-ECB `update` over its counter blocks (keystream.ts). GCM: one OpenSSL decipher per packet,
 * whose `final` verifies the tag (its exception stays here).
 */
class Direction {
  readonly ks: AesKeystream;
  readonly hmac: HmacSha1;

  constructor(readonly keys: SessionKeys) {
    this.ks = new AesKeystream(keys.key);
    this.hmac = new HmacSha1(keys.auth);
  }
}

export class NodeUnprotectCipher implements UnprotectCipher {
  readonly implementation = 'node';
  private readonly gcm: boolean;
  private readonly rtpD: Direction;
  private readonly rtcpD: Direction;
  private readonly rtcpTag: number;
  private readonly iv = Buffer.alloc(16);

  constructor(profile: SrtpProfile, keys: DerivedKeys) {
    this.gcm = profile === SRTP_AEAD_AES_128_GCM;
    this.rtcpTag = rtcpTagLength(profile);
    this.rtpD = new Direction(keys.rtp);
    this.rtcpD = new Direction(keys.rtcp);
  }

  rtp(packet: Buffer, headerLength: number, end: number, ssrc: number, seq: number, roc: number): Buffer | undefined {
    const d = this.rtpD;
    writeIv(this.iv, this.gcm, d.keys.salt, ssrc, roc, seq);
    if (this.gcm) {
      const aad = packet.subarray(0, headerLength);
      return this.openGcm(d, aad, packet.subarray(headerLength, end), packet.subarray(end), aad);
    }
    const tagLength = packet.length - end;
    // authenticated: header || encrypted payload || ROC; the computed tag then overwrites the ROC
    const buf = Buffer.allocUnsafe(IPAD_ROOM + end + Math.max(4, tagLength));
    const at = IPAD_ROOM + end;
    packet.copy(buf, IPAD_ROOM, 0, end);
    buf.writeUInt32BE(roc >>> 0, at);
    d.hmac.tag(buf, at + 4, at, tagLength);
    if (!tagsEqual(buf, at, packet, end, tagLength)) return undefined;
    this.decryptCm(d, buf, IPAD_ROOM + headerLength, end - headerLength);
    return buf.subarray(IPAD_ROOM, at);
  }

  rtcp(packet: Buffer, end: number, ssrc: number, eIndex: number): Buffer | undefined {
    const d = this.rtcpD;
    const encrypted = eIndex >>> 31 === 1;
    const index = eIndex & 0x7fffffff;
    writeIv(this.iv, this.gcm, d.keys.salt, ssrc, index >>> 16, index & 0xffff);
    if (this.gcm) {
      // AAD = header || E || index, or the whole clear packet || E || index when E = 0 (RFC 7714 §9.3)
      const trailer = packet.subarray(packet.length - 4);
      const head = packet.subarray(0, encrypted ? 8 : end);
      const body = encrypted ? packet.subarray(8, end) : packet.subarray(end, end);
      const clear = this.openGcm(d, Buffer.concat([head, trailer]), body, packet.subarray(end, end + 16), head);
      return clear;
    }
    const authEnd = end + 4;
    const buf = Buffer.allocUnsafe(IPAD_ROOM + authEnd + this.rtcpTag);
    const at = IPAD_ROOM + authEnd;
    packet.copy(buf, IPAD_ROOM, 0, authEnd);
    d.hmac.tag(buf, at, at, this.rtcpTag);
    if (!tagsEqual(buf, at, packet, authEnd, this.rtcpTag)) return undefined;
    if (encrypted) this.decryptCm(d, buf, IPAD_ROOM + 8, end - 8);
    return buf.subarray(IPAD_ROOM, IPAD_ROOM + end);
  }

  /** AES-CM: XORs `length` bytes at `buf[offset..]` with the keystream of the counter in `iv`. */
  private decryptCm(d: Direction, buf: Buffer, offset: number, length: number): void {
    if (length <= 0) return;
    const ks = d.ks.blocks(this.iv, 0, (length + 15) >> 4);
    xorInto(buf, offset, buf, offset, ks, 0, length);
  }

  /** GCM: `head` (in clear) then `body` decrypted, or undefined when `tag` does not verify. */
  private openGcm(d: Direction, aad: Buffer, body: Buffer, tag: Buffer, head: Buffer): Buffer | undefined {
    if (tag.length !== 16) return undefined;
    const decipher = createDecipheriv('aes-128-gcm', d.keys.key, this.iv.subarray(0, 12));
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const clear = decipher.update(body);
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    const out = Buffer.allocUnsafe(head.length + clear.length);
    head.copy(out, 0);
    clear.copy(out, head.length);
    return out;
  }
}
