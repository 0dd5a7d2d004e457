import { SRTP_AES128_CM_HMAC_SHA1_32, SRTP_AES128_CM_HMAC_SHA1_80, type SrtpProfile } from '../srtp/profile.js';
import { createProtector } from '../srtp/protector.js';
import { createUnprotector } from '../srtp/unprotector.js';
import type { SrtpKey } from '../sfu/forwarder.js';

/** A stream's SRTP decryption: the clear RTP packet, or undefined when it fails authentication or was replayed. */
export type IngestUnprotect = (datagram: Buffer) => Buffer | undefined;

/** A clear RTCP packet of ours (a PLI) made into what goes back to the sender. */
export type FeedbackProtect = (rtcp: Buffer) => Buffer;

const profileOf = (key: SrtpKey): SrtpProfile =>
  key.suite === 32 ? SRTP_AES128_CM_HMAC_SHA1_32 : SRTP_AES128_CM_HMAC_SHA1_80;

/**
 * SRTP ingest of a mountpoint stream (Janus `srtpsuite`/`srtpcrypto`): the sender's SDES key, one
 * unprotector per stream (its own rollover and replay windows). A packet that does not verify is
 * dropped, never thrown into the packet path.
 */
export function ingestUnprotector(key: SrtpKey): IngestUnprotect {
  const unprotector = createUnprotector(profileOf(key), key.key, key.salt);
  return (datagram) => {
    const clear = unprotector.unprotectRtp(datagram);
    return typeof clear === 'string' ? undefined : clear;
  };
}

/**
 * Keyframe requests to an SRTP sender go as SRTCP under the mountpoint's key (SDES keys both
 * directions): a sender that only accepts authenticated RTCP drops a plain PLI. One protector per
 * stream, its SRTCP index counting up from 0 (31 bits, RFC 3711 §3.4).
 */
export function feedbackProtector(key: SrtpKey): FeedbackProtect {
  const protector = createProtector(profileOf(key), key.key, key.salt);
  let index = 0;
  return (rtcp) => {
    const out = protector.protectRtcp(rtcp, index);
    index = (index + 1) & 0x7fffffff;
    return out;
  };
}
