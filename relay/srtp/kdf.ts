import { createCipheriv } from 'node:crypto';

/**
 * The SRTP key derivation function (RFC 3711 §4.3.1, AES-CM PRF, key derivation rate 0): the
 * session keys of one direction from its DTLS-exported master key and salt. Run once per key, never
 * per packet.
 */

export interface SessionKeys {
  /** AES-128 session key. */
  key: Buffer;
  /** Session salt: 14 bytes (AES-CM), of which AEAD_AES_128_GCM uses the first 12 (RFC 7714 §11). */
  salt: Buffer;
  /** HMAC-SHA1 session key (20 bytes); unused by AEAD_AES_128_GCM. */
  auth: Buffer;
}

export interface DerivedKeys {
  rtp: SessionKeys;
  rtcp: SessionKeys;
}

const LABEL = { rtpKey: 0, rtpAuth: 1, rtpSalt: 2, rtcpKey: 3, rtcpAuth: 4, rtcpSalt: 5 } as const;

/** `length` bytes of AES-CM keystream under the master key, for one label. */
function prf(masterKey: Buffer, salt14: Buffer, label: number, length: number): Buffer {
  // x = (label << 48) XOR master_salt, IV = x * 2^16: the label sits in byte 7 of the 14-byte salt.
  const blocks = Math.ceil(length / 16);
  const input = Buffer.alloc(blocks * 16);
  for (let b = 0; b < blocks; b++) {
    salt14.copy(input, b * 16);
    input[b * 16 + 7]! ^= label;
    input.writeUInt16BE(b, b * 16 + 14);
  }
  const ecb = createCipheriv('aes-128-ecb', masterKey, null).setAutoPadding(false);
  return Buffer.concat([ecb.update(input), ecb.final()]).subarray(0, length);
}

/**
 * Session keys for RTP and RTCP. A 12-byte (GCM) master salt is zero-padded to 14 bytes as libsrtp
 * and werift do.
 */
export function deriveSessionKeys(masterKey: Buffer, masterSalt: Buffer): DerivedKeys {
  if (masterKey.length !== 16) throw new Error('SRTP master key must be 16 bytes');
  if (masterSalt.length !== 14 && masterSalt.length !== 12) throw new Error('SRTP master salt must be 12 or 14 bytes');
  const salt14 = Buffer.alloc(14);
  masterSalt.copy(salt14);
  const one = (k: number, a: number, s: number): SessionKeys => ({
    key: prf(masterKey, salt14, k, 16),
    auth: prf(masterKey, salt14, a, 20),
    salt: prf(masterKey, salt14, s, 14),
  });
  return {
    rtp: one(LABEL.rtpKey, LABEL.rtpAuth, LABEL.rtpSalt),
    rtcp: one(LABEL.rtcpKey, LABEL.rtcpAuth, LABEL.rtcpSalt),
  };
}
