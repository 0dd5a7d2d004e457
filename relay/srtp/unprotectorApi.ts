import type { SrtpProfile } from './profile.js';
import type { SrtpImplementation } from './protectorApi.js';

/** Why an inbound packet was dropped: its tag did not verify, its index was seen or is too old, or it cannot be SRTP. */
export type SrtpDrop = 'auth' | 'replay' | 'malformed';

/**
 * SRTP / SRTCP unprotection (RFC 3711 §3.3, RFC 7714) of the packets one DTLS-SRTP peer sends,
 * keyed once, with per-SSRC rollover estimation and replay windows (relay/srtp/unprotector.ts).
 * Never throws on a packet: a bad one is a {@link SrtpDrop}.
 */
export interface SrtpUnprotector {
  readonly profile: SrtpProfile;
  readonly implementation: SrtpImplementation;
  /** The clear RTP packet (header + payload, padding kept) as a buffer of its own, or why it was dropped. */
  unprotectRtp(packet: Buffer): Buffer | SrtpDrop;
  /** The clear compound RTCP packet as a buffer of its own, or why it was dropped. */
  unprotectRtcp(packet: Buffer): Buffer | SrtpDrop;
}

/**
 * The cryptographic half of an unprotector, one per implementation (libcrypto through koffi, Node's
 * crypto): authenticate (in constant time, before anything is decrypted) then decrypt. Parsing,
 * index estimation and replay windows are the unprotector's, written once.
 */
export interface UnprotectCipher {
  readonly implementation: SrtpImplementation;
  /**
   * SRTP: `packet[0 .. headerLength]` is the header, `packet[headerLength .. end]` the encrypted
   * payload, `packet[end ..]` the tag. The clear packet `[0 .. end]` as a buffer of its own, or
   * undefined when the tag does not verify.
   */
  rtp(packet: Buffer, headerLength: number, end: number, ssrc: number, seq: number, roc: number): Buffer | undefined;
  /**
   * SRTCP: `packet[0 .. end]` is the (encrypted, when E is set in `eIndex`) compound packet; the
   * E flag with the SRTCP index, and the tag, follow in the profile's order. The clear packet
   * `[0 .. end]` as a buffer of its own, or undefined when the tag does not verify.
   */
  rtcp(packet: Buffer, end: number, ssrc: number, eIndex: number): Buffer | undefined;
}
