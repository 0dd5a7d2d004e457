import type { AbLegSrtp } from '../../shared/control/audiobridge.js';
import { rtpHeaderLength } from '../srtp/packetLayout.js';
import { SRTP_AES128_CM_HMAC_SHA1_80 } from '../srtp/profile.js';
import { createProtector, type SrtpProtector } from '../srtp/protector.js';
import { RolloverCounter } from '../srtp/rollover.js';
import { createUnprotector, type SrtpUnprotector } from '../srtp/unprotector.js';
import { mixerTotals } from './totals.js';

/**
 * The SRTP of one relay-to-relay AudioBridge leg (a bridge peer ⇄ its plain-RTP leg at home), keyed
 * by the edge for that leg alone. Both ends protect what they send with the same master key (each
 * with its own random SSRCs, which keep the two directions' keystreams apart) and unprotect what
 * arrives: anything that does not authenticate, replays a packet, or is one of our own packets sent
 * back to us (it would authenticate: the key is the same both ways) is dropped and counted.
 */
export class LegSrtp {
  /** Packets dropped here: forged, tampered, replayed or not SRTP at all. */
  dropped = 0;
  private readonly protector: SrtpProtector;
  private readonly unprotector: SrtpUnprotector;
  /** One rollover counter per SSRC we send (a bridge sends its voice and its priming packets under two). */
  private readonly rocs = new Map<number, RolloverCounter>();

  constructor(keys: AbLegSrtp) {
    const key = Buffer.from(keys.key, 'base64');
    const salt = Buffer.from(keys.salt, 'base64');
    this.protector = createProtector(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
    this.unprotector = createUnprotector(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
    mixerTotals.legSrtpKeyed++;
  }

  /** The clear RTP `packet` as SRTP, in a buffer of its own (dgram sends it later). */
  protect(packet: Buffer): Buffer {
    const headerLength = rtpHeaderLength(packet, packet.length);
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    let roc = this.rocs.get(ssrc);
    if (!roc) this.rocs.set(ssrc, (roc = new RolloverCounter()));
    return this.protector.protectRtp(packet, headerLength, packet.subarray(headerLength), ssrc, seq, roc.next(seq));
  }

  /** The clear packet, or undefined (dropped and counted) when it is not an authentic, fresh SRTP packet. */
  unprotect(packet: Buffer): Buffer | undefined {
    const reflected = packet.length >= 12 && this.rocs.has(packet.readUInt32BE(8));
    const clear = reflected ? 'auth' : this.unprotector.unprotectRtp(packet);
    if (typeof clear !== 'string') return clear;
    this.dropped++;
    mixerTotals.legSrtpDropped++;
    return undefined;
  }
}
