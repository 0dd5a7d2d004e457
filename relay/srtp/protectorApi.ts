import type { SrtpProfile } from './profile.js';

/**
 * SRTP / SRTCP protection (RFC 3711, RFC 7714) for one direction of one DTLS-SRTP association (or
 * one SRTP forwarder), keyed once. Two implementations give the same bytes (test/relay/srtp runs
 * every vector against both): libcrypto through koffi with reused EVP/HMAC contexts
 * (libcryptoProtector.ts, ~0.6 µs per 200-byte packet), chosen whenever it loads, else Node's
 * crypto with reused key schedules (nodeProtector.ts, ~3.5 µs).
 */
export interface SrtpProtector {
  readonly profile: SrtpProfile;
  readonly implementation: SrtpImplementation;
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  /**
   * Whether {@link output} is reused by the next call: a caller that hands it to a deferred send
   * (dgram) must copy it first. A direct (synchronous) send need not.
   */
  readonly reusesOutput: boolean;
  /** Where {@link protectRtpInto} wrote its packet, from offset 0. */
  readonly output: Buffer;
  /**
   * Protects one RTP packet (`header[0 .. headerLength]`, a complete header in clear, then
   * `payload` encrypted, then the tag) into {@link output}; returns its length. `roc` comes from
   * the stream's RolloverCounter.
   */
  protectRtpInto(header: Buffer, headerLength: number, payload: Buffer, ssrc: number, seq: number, roc: number): number;
  /** The same packet as a buffer of its own. */
  protectRtp(header: Buffer, headerLength: number, payload: Buffer, ssrc: number, seq: number, roc: number): Buffer;
  /** One SRTCP packet of a compound RTCP `packet` with SRTCP index `index` (31 bits), encrypted, as a buffer of its own. */
  protectRtcp(packet: Buffer, index: number): Buffer;
}

export type SrtpImplementation = 'libcrypto' | 'node';
