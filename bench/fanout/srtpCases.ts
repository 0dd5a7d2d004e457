/**
 * What the SRTP micro-benchmarks (srtp.ts, srtpUnprotect.ts) share: both profiles the relay
 * negotiates with their werift counterparts, the RTP header they protect (one audio-level-like
 * extension, as a browser sends), and a werift session keyed like ours.
 */
import { randomBytes } from 'node:crypto';
import { ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtpSession } from 'werift';
import { SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80, type SrtpProfile } from '../../relay/srtp/profile.js';

export interface SrtpCase {
  name: string;
  ours: SrtpProfile;
  key: Buffer;
  salt: Buffer;
  /** werift's SrtpSession with the same key and salt in both directions. */
  werift: () => SrtpSession;
}

/** One case per profile, each with a fresh random master key and salt. */
export function srtpCases(): SrtpCase[] {
  return [
    ['AES_CM_128_HMAC_SHA1_80', SRTP_AES128_CM_HMAC_SHA1_80, ProtectionProfileAes128CmHmacSha1_80, 14] as const,
    ['AEAD_AES_128_GCM', SRTP_AEAD_AES_128_GCM, ProtectionProfileAeadAes128Gcm, 12] as const,
  ].map(([name, ours, theirs, saltLength]) => {
    const key = randomBytes(16);
    const salt = randomBytes(saltLength);
    const keys = { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt };
    return { name, ours, key, salt, werift: () => new SrtpSession({ keys, profile: theirs }) };
  });
}

/** The benchmark packets' header, as werift's object and serialized. */
export function benchHeader(): { header: RtpHeader; bytes: Buffer } {
  const header = new RtpHeader({
    ssrc: 0x1234,
    payloadType: 96,
    extension: true,
    extensions: [{ id: 4, payload: Buffer.from('1') }],
  });
  return { header, bytes: header.serialize(header.serializeSize) };
}
