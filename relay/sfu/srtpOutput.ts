import type { RTCDtlsTransport } from 'werift';
import { captureTapOf, type CaptureTap } from '../capture/captureTap.js';
import { localSrtpKeys, preferSrtpProfiles, sendSrtp, srtpSession, type SrtpRoute } from '../peer/werift.js';
import { SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80, isSrtpProfile } from '../srtp/profile.js';
import { createProtector, type SrtpProtector } from '../srtp/protector.js';
import { RolloverCounter } from '../srtp/rollover.js';

/**
 * The SFU's RTP output on one subscriber DTLS transport: packets are protected with relay/srtp
 * (contexts keyed once from the keys werift exported, rebuilt only when werift re-keys) into the
 * protector's reused output buffer and sent from it straight on the nominated ICE pair's socket
 * (relay/peer/werift.ts `sendSrtp`, relay/net/directUdp.ts): nothing is allocated per packet. werift stays in
 * charge of DTLS, ICE consent and the SRTCP it sends; inbound SRTP is relay/srtp/srtpInput.ts's.
 *
 * Subscriber transports prefer AES_CM_128_HMAC_SHA1_80, which every client has (with libcrypto GCM
 * costs about the same, ~0.5-0.9 µs per packet; with Node's crypto it needs a cipher per packet). The relay
 * offers subscribers `a=setup:actpass` and clients answer `active`, so the relay is the DTLS server
 * and its order decides; GCM stays accepted, and is used when a client offers nothing else.
 */
export const SUBSCRIBER_SRTP_PROFILES = [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM] as const;

const outputs = new WeakMap<RTCDtlsTransport, SrtpOutput>();

export class SrtpOutput {
  private session: object | undefined;
  private protector: SrtpProtector | undefined;
  /** Rollover counters by SSRC, of the current keys: new keys are a new SRTP stream that starts at ROC 0. */
  private readonly rocs = new Map<number, RolloverCounter>();
  private readonly route: SrtpRoute = { pair: undefined, path: undefined };
  /** SRTCP index of the last report sent per SSRC, under the current keys (werift's count from 1). */
  private readonly rtcpIndex = new Map<number, number>();
  /** The last SSRC's counter (a transport usually carries one or two legs): no map lookup per packet. */
  private lastSsrc = -1;
  private lastRoc: RolloverCounter | undefined;

  /** The transport's capture tap (relay/capture/captureTap.ts): clear packets, before protection. */
  private readonly tap: CaptureTap;

  private constructor(private readonly dtls: RTCDtlsTransport) {
    this.tap = captureTapOf(dtls);
  }

  /** The one output of a DTLS transport. */
  static of(dtls: RTCDtlsTransport): SrtpOutput {
    let o = outputs.get(dtls);
    if (!o) outputs.set(dtls, (o = new SrtpOutput(dtls)));
    return o;
  }

  /** Call before the DTLS handshake: the profiles this transport accepts, cheapest first. */
  static preferCheapProfiles(dtls: RTCDtlsTransport): void {
    preferSrtpProfiles(dtls, SUBSCRIBER_SRTP_PROFILES);
  }

  /**
   * Protects and sends one RTP packet: `header[0 .. headerLength]` then `payload`. False when it
   * cannot (DTLS has not produced keys yet, or a profile relay/srtp lacks): the caller falls back
   * to werift's `sendRtp`.
   */
  send(header: Buffer, headerLength: number, payload: Buffer, ssrc: number, seq: number): boolean {
    const p = this.current();
    if (!p) return false;
    let roc = this.lastRoc;
    if (ssrc !== this.lastSsrc || !roc) {
      roc = this.rocs.get(ssrc);
      if (!roc) this.rocs.set(ssrc, (roc = new RolloverCounter()));
      this.lastSsrc = ssrc;
      this.lastRoc = roc;
    }
    const capture = this.tap.capture;
    if (capture) capture.write('rtp', false, Buffer.concat([header.subarray(0, headerLength), payload]));
    const n = p.protectRtpInto(header, headerLength, payload, ssrc, seq, roc.next(seq));
    sendSrtp(this.dtls, p.output, n, p.reusesOutput, this.route);
    return true;
  }

  /**
   * Protects and sends one compound RTCP packet whose first SSRC is `ssrc` (a leg's sender report:
   * only the SFU sends RTCP with a leg's SSRC, so it owns that SRTCP index). False without keys.
   */
  sendRtcp(packet: Buffer, ssrc: number): boolean {
    const p = this.current();
    if (!p) return false;
    const index = ((this.rtcpIndex.get(ssrc) ?? 0) + 1) & 0x7fffffff;
    this.rtcpIndex.set(ssrc, index);
    this.tap.capture?.write('rtcp', false, packet);
    const out = p.protectRtcp(packet, index);
    sendSrtp(this.dtls, out, out.length, false, this.route);
    return true;
  }

  /** The protector of werift's current SRTP keys; new keys are new SRTP/SRTCP streams (ROC 0, index 1). */
  private current(): SrtpProtector | undefined {
    const session = srtpSession(this.dtls);
    if (session !== this.session) {
      this.session = session;
      this.rocs.clear();
      this.rtcpIndex.clear();
      this.lastSsrc = -1;
      this.lastRoc = undefined;
      const keys = session && localSrtpKeys(session);
      this.protector =
        keys && isSrtpProfile(keys.profile) ? createProtector(keys.profile, keys.key, keys.salt) : undefined;
    }
    return this.protector;
  }
}
