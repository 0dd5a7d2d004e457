import type { RTCDtlsTransport } from 'werift';
import { captureTapOf, type CaptureTap } from '../capture/captureTap.js';
import type { CapturedKind } from '../capture/packetCapture.js';
import { interceptInboundSrtp, type InboundSrtp } from '../peer/werift.js';
import { isSrtpProfile } from './profile.js';
import { createUnprotector } from './unprotector.js';
import type { SrtpDrop, SrtpUnprotector } from './unprotectorApi.js';

/**
 * Inbound media of relay peers through relay/srtp (relay/srtp/unprotector.ts): the implementation
 * RELAY_SRTP and libcrypto's presence choose for the send side, an unprotector per key werift
 * exports, replay windows per SSRC. A packet that fails authentication, was replayed or cannot be
 * SRTP is dropped before werift sees it and counted in {@link srtpInboundTotals} (the relay's
 * /metrics); nothing is thrown into the packet path.
 */

/** Inbound SRTP/SRTCP packets since start: unprotected, and dropped by reason. */
export const srtpInboundTotals: Record<'unprotected' | SrtpDrop, number> = {
  unprotected: 0,
  auth: 0,
  replay: 0,
  malformed: 0,
};

const installed = new WeakSet<RTCDtlsTransport>();

/** Counts what the unprotector decided, and hands a clear packet to the transport's capture, if any. */
function counted(unprotector: SrtpUnprotector, tap: CaptureTap): InboundSrtp {
  const count = (r: Buffer | SrtpDrop, kind: CapturedKind): Buffer | undefined => {
    if (typeof r === 'string') {
      srtpInboundTotals[r]++;
      return undefined;
    }
    srtpInboundTotals.unprotected++;
    tap.capture?.write(kind, true, r);
    return r;
  };
  return {
    rtp: (datagram) => count(unprotector.unprotectRtp(datagram), 'rtp'),
    rtcp: (datagram) => count(unprotector.unprotectRtcp(datagram), 'rtcp'),
  };
}

/** Routes a relay peer's DTLS transport's inbound SRTP/SRTCP through relay/srtp; once per transport. */
export function installSrtpInput(dtls: RTCDtlsTransport): void {
  if (installed.has(dtls)) return;
  installed.add(dtls);
  const tap = captureTapOf(dtls);
  interceptInboundSrtp(dtls, (keys) => {
    if (!isSrtpProfile(keys.profile)) return undefined;
    try {
      return counted(createUnprotector(keys.profile, keys.key, keys.salt), tap);
    } catch {
      return undefined; // keys libcrypto refused: werift keeps decrypting this transport
    }
  });
}
