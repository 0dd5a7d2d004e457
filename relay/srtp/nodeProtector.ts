import { createCipheriv } from 'node:crypto';
import { AesKeystream, xorInto } from './keystream.js';
import { HmacSha1, IPAD_ROOM } from './hmacSha1.js';
import { deriveSessionKeys, type DerivedKeys, type SessionKeys } from './kdf.js';
import { SRTP_AEAD_AES_128_GCM, rtcpTagLength, rtpTagLength, type SrtpProfile } from './profile.js';
import type { SrtpProtector } from './protectorApi.js';

/**
 * SRTP / SRTCP protection (RFC 3711, RFC 7714) over Node's crypto: the relay's fallback where
 * libcrypto cannot be loaded through koffi (relay/srtp/libcryptoProtector.ts, chosen by
 * relay/srtp/protector.ts).
 *
 * AES-CM profiles (the relay's preferred ones, see relay/sfu/srtpOutput.ts): the AES key schedule
 * and the HMAC's ipad/opad states are made once here, from the master key and salt, and reused for
 * every packet: one AES-ECB `update` over the packet's counter blocks (keystream.ts), a word-wise
 * XOR, and the HMAC from its precomputed states (hmacSha1.ts).
 *
 * AEAD_AES_128_GCM: one OpenSSL GCM cipher per packet (Node cannot reset a GCM context's IV). A
 * JavaScript GHASH over a reused AES-ECB keystream was tried: byte-identical, but no faster than
 * OpenSSL's PCLMUL GHASH plus the cipher set-up, and table-driven GHASH leaks through cache timing.
 *
 * Measured on the target machine (2 shared cores, loaded) per packet: werift's AES-CM path
 * (createCipheriv + createHmac per packet) ~7.5 µs at 200 bytes and ~9.8 µs at 1,100, this one
 * ~3.5 and ~5.2 (bench/fanout/srtp.ts); the libcrypto protector ~0.6 and ~1.2.
 *
 * Per packet: Node's fresh keystream buffer, one output buffer from Node's pool (the datagram:
 * dgram keeps it until its deferred send) and, for long packets, the 20-byte inner digest.
 */
class Direction {
  readonly ks: AesKeystream;
  readonly hmac: HmacSha1;

  constructor(readonly keys: SessionKeys) {
    this.ks = new AesKeystream(keys.key);
    this.hmac = new HmacSha1(keys.auth);
  }
}

export class NodeSrtpProtector implements SrtpProtector {
  readonly implementation = 'node';
  /** Every packet is a fresh buffer: a deferred send may keep it. */
  readonly reusesOutput = false;
  output: Buffer = Buffer.alloc(0);
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  private readonly gcm: boolean;
  private readonly rtp: Direction;
  private readonly rtcp: Direction;
  /** The per-packet counter / IV (16 bytes), rewritten synchronously for each packet. */
  private readonly iv = Buffer.alloc(16);

  /** From session keys (RFC 7714's test vectors are given that way); see {@link fromMaster}. */
  constructor(
    readonly profile: SrtpProfile,
    keys: DerivedKeys,
  ) {
    this.gcm = profile === SRTP_AEAD_AES_128_GCM;
    this.rtpTagLength = rtpTagLength(profile);
    this.rtcpTagLength = rtcpTagLength(profile);
    this.rtp = new Direction(keys.rtp);
    this.rtcp = new Direction(keys.rtcp);
  }

  /** From the master key and salt DTLS-SRTP exported (RFC 3711 key derivation). */
  static fromMaster(profile: SrtpProfile, masterKey: Buffer, masterSalt: Buffer): NodeSrtpProtector {
    return new NodeSrtpProtector(profile, deriveSessionKeys(masterKey, masterSalt));
  }

  protectRtpInto(
    header: Buffer,
    headerLength: number,
    payload: Buffer,
    ssrc: number,
    seq: number,
    roc: number,
  ): number {
    this.output = this.protectRtp(header, headerLength, payload, ssrc, seq, roc);
    return this.output.length;
  }

  /**
   * One SRTP packet: `header[0 .. headerLength]` (a complete RTP header, in clear) followed by
   * `payload` encrypted, then the tag. `roc` comes from the stream's {@link RolloverCounter}.
   */
  protectRtp(header: Buffer, headerLength: number, payload: Buffer, ssrc: number, seq: number, roc: number): Buffer {
    const len = payload.length;
    const iv = this.iv;
    const d = this.rtp;
    if (this.gcm) {
      // IV = salt XOR (0^16 || SSRC || ROC || SEQ) (RFC 7714 §8.1); AAD = the header
      iv.writeUInt16BE(0, 0);
      iv.writeUInt32BE(ssrc >>> 0, 2);
      iv.writeUInt32BE(roc >>> 0, 6);
      iv.writeUInt16BE(seq & 0xffff, 10);
      for (let i = 0; i < 12; i++) iv[i]! ^= d.keys.salt[i]!;
      const c = createCipheriv('aes-128-gcm', d.keys.key, iv.subarray(0, 12));
      c.setAAD(header.subarray(0, headerLength));
      const enc = c.update(payload);
      c.final();
      const out = Buffer.allocUnsafe(headerLength + len + 16);
      header.copy(out, 0, 0, headerLength);
      enc.copy(out, headerLength);
      c.getAuthTag().copy(out, headerLength + len);
      return out;
    }
    // IV = (salt || 0^16) XOR (0^32 || SSRC || ROC || SEQ || 0^16) (RFC 3711 §4.1.1)
    iv.writeUInt32BE(0, 0);
    iv.writeUInt32BE(ssrc >>> 0, 4);
    iv.writeUInt32BE(roc >>> 0, 8);
    iv.writeUInt32BE(((seq & 0xffff) << 16) >>> 0, 12);
    for (let i = 0; i < 14; i++) iv[i]! ^= d.keys.salt[i]!;
    const ks = d.ks.blocks(iv, 0, (len + 15) >> 4);
    const tagLen = this.rtpTagLength;
    // room for the HMAC's ipad block before the packet, and for the ROC the tag then overwrites
    const buf = Buffer.allocUnsafe(IPAD_ROOM + headerLength + len + Math.max(4, tagLen));
    header.copy(buf, IPAD_ROOM, 0, headerLength);
    const end = IPAD_ROOM + headerLength + len;
    xorInto(buf, IPAD_ROOM + headerLength, payload, 0, ks, 0, len);
    buf.writeUInt32BE(roc >>> 0, end);
    d.hmac.tag(buf, end + 4, end, tagLen);
    return buf.subarray(IPAD_ROOM, end + tagLen);
  }

  /** One SRTCP packet of a compound RTCP `packet` with SRTCP index `index` (31 bits), encrypted (E = 1). */
  protectRtcp(packet: Buffer, index: number): Buffer {
    const len = packet.length;
    if (len < 8) throw new Error('RTCP packet shorter than its header');
    const ssrc = packet.readUInt32BE(4);
    const eIndex = (0x80000000 | index) >>> 0;
    const body = len - 8;
    const iv = this.iv;
    const d = this.rtcp;
    if (this.gcm) {
      // IV = salt XOR (0^16 || SSRC || 0^16 || 0 || index) (RFC 7714 §9.1); AAD = header || E || index
      iv.writeUInt16BE(0, 0);
      iv.writeUInt32BE(ssrc, 2);
      iv.writeUInt16BE(0, 6);
      iv.writeUInt32BE(index & 0x7fffffff, 8);
      for (let i = 0; i < 12; i++) iv[i]! ^= d.keys.salt[i]!;
      const c = createCipheriv('aes-128-gcm', d.keys.key, iv.subarray(0, 12));
      const out = Buffer.allocUnsafe(len + 16 + 4);
      packet.copy(out, 0, 0, 8);
      out.writeUInt32BE(eIndex, len + 16);
      c.setAAD(Buffer.concat([out.subarray(0, 8), out.subarray(len + 16)]));
      c.update(packet.subarray(8)).copy(out, 8);
      c.final();
      c.getAuthTag().copy(out, len);
      return out;
    }
    iv.writeUInt32BE(0, 0);
    iv.writeUInt32BE(ssrc, 4);
    iv.writeUInt32BE(index >>> 16, 8);
    iv.writeUInt32BE(((index & 0xffff) << 16) >>> 0, 12);
    for (let i = 0; i < 14; i++) iv[i]! ^= d.keys.salt[i]!;
    const ks = d.ks.blocks(iv, 0, (body + 15) >> 4);
    const tagLen = this.rtcpTagLength;
    const buf = Buffer.allocUnsafe(IPAD_ROOM + len + 4 + tagLen);
    packet.copy(buf, IPAD_ROOM, 0, 8);
    xorInto(buf, IPAD_ROOM + 8, packet, 8, ks, 0, body);
    const end = IPAD_ROOM + len + 4;
    buf.writeUInt32BE(eIndex, end - 4);
    d.hmac.tag(buf, end, end, tagLen);
    return buf.subarray(IPAD_ROOM, end + tagLen);
  }
}
