import { directUdpAvailable, udpSendTotals } from '../net/directUdp.js';
import { libcryptoSource, libcryptoUnavailableReason, type LibcryptoSource } from '../srtp/libcrypto.js';
import { srtpImplementation, type SrtpImplementation } from '../srtp/protector.js';
import { srtpInboundTotals } from '../srtp/srtpInput.js';

/** How this relay protects and sends media (relay /metrics, start-up log). */
export interface MediaPathInfo {
  /** SRTP implementation: libcrypto through koffi, or Node's crypto (relay/srtp/protector.ts). */
  srtp: SrtpImplementation;
  /** Why libcrypto is not used, when it is not. */
  srtpFallbackReason?: string;
  /** Whose OpenSSL libcrypto is: Node's own, or libcrypto.so.3 loaded beside it (relay/srtp/libcrypto.ts). */
  srtpLibrary?: LibcryptoSource;
  /** How datagrams leave: sendto(2)/sendmmsg(2) on the socket's descriptor, or dgram (relay/net/directUdp.ts). */
  udp: 'sendto' | 'dgram';
  /** Datagrams sent directly, through dgram, and dropped on a kernel error, since start. */
  sends: { direct: number; viaDgram: number; dropped: number };
  /** Inbound SRTP/SRTCP packets unprotected, and dropped (failed authentication, replayed, malformed), since start. */
  inbound: { unprotected: number; auth: number; replay: number; malformed: number };
}

export function mediaPathInfo(): MediaPathInfo {
  const srtp = srtpImplementation();
  const info: MediaPathInfo = {
    srtp,
    udp: directUdpAvailable() ? 'sendto' : 'dgram',
    sends: { ...udpSendTotals },
    inbound: { ...srtpInboundTotals },
  };
  if (srtp === 'node') info.srtpFallbackReason = libcryptoUnavailableReason();
  else info.srtpLibrary = libcryptoSource();
  return info;
}
