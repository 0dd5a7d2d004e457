/**
 * DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2) the relay's SRTP path implements,
 * by their IANA ids (werift's `ProtectionProfileAes128CmHmacSha1_80` = 1, `…AeadAes128Gcm` = 7).
 */
export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const SRTP_AES128_CM_HMAC_SHA1_32 = 0x0002;
export const SRTP_AEAD_AES_128_GCM = 0x0007;

export type SrtpProfile =
  typeof SRTP_AES128_CM_HMAC_SHA1_80 | typeof SRTP_AES128_CM_HMAC_SHA1_32 | typeof SRTP_AEAD_AES_128_GCM;

export function isSrtpProfile(p: number): p is SrtpProfile {
  return p === SRTP_AES128_CM_HMAC_SHA1_80 || p === SRTP_AES128_CM_HMAC_SHA1_32 || p === SRTP_AEAD_AES_128_GCM;
}

/** Bytes appended to an RTP packet: the HMAC-SHA1 tag (10 or 4) or the GCM tag (16). */
export function rtpTagLength(p: SrtpProfile): number {
  return p === SRTP_AEAD_AES_128_GCM ? 16 : p === SRTP_AES128_CM_HMAC_SHA1_32 ? 4 : 10;
}

/** The SRTCP tag: 10 bytes for both AES-CM profiles (_32 truncates only SRTP's), 16 for GCM. */
export function rtcpTagLength(p: SrtpProfile): number {
  return p === SRTP_AEAD_AES_128_GCM ? 16 : 10;
}
