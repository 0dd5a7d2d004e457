import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { boundAddresses } from '../net/iceAddresses.js';
import type { IceSetup } from './iceSetup.js';
import { installDtlsExtensionsCache } from './dtlsExtensionsCache.js';
import { installDtlsKeyCache } from './dtlsKeyCache.js';
import { installFastRtpHeader } from './fastRtpHeader.js';
import { installFingerprintCache } from './fingerprintCache.js';
import { installNativeX25519 } from './nativeX25519.js';
import { installReceiverFeedbackCache } from './receiverFeedbackCache.js';
import type { TurnClient } from './turnClient.js';

/** Where a PeerConnection's sockets live (`ice`, `iceTcp`: relay/peer/iceSetup.ts). */
export interface PeerNetwork extends IceSetup {
  /** IP the UDP sockets bind to. */
  bindAddress: string;
  /** IP written into the host candidate. */
  announcedAddress: string;
  icePortRange?: [number, number];
  /** A TURN server to gather a relay candidate from (RELAY_TURN_URL), possibly the only candidate. */
  turn?: TurnClient;
}

/** What a plugin negotiates: its codecs and RTP header extensions. */
export interface PeerMedia {
  codecs: { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] };
  headerExtensions: { audio: Array<{ id: number; uri: string }>; video: Array<{ id: number; uri: string }> };
}

const nackPliRemb = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }];
const ext = (id: number, uri: string) => ({ id, uri });

export const relayHeaderExtensions = {
  audio: [ext(1, 'urn:ietf:params:rtp-hdrext:sdes:mid')],
  video: [
    ext(1, 'urn:ietf:params:rtp-hdrext:sdes:mid'),
    ext(2, 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id'),
    ext(3, 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id'),
  ],
};

/** The EchoTest's media (and the test clients'): opus/PCMU, VP8/H264, mid and rid extensions. */
export const relayMedia: PeerMedia = {
  codecs: {
    audio: [
      new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 }),
      new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
    ],
    video: [
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: nackPliRemb }),
      new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        rtcpFeedback: nackPliRemb,
        parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
      }),
    ],
  },
  headerExtensions: relayHeaderExtensions,
};

/**
 * The relay's one way to make a PeerConnection: one host candidate on `announcedAddress`, its socket
 * bound to `bindAddress` (ports from the pool, see relay/net/ports.ts), no STUN (werift's default
 * config would query Google's STUN server), a relay candidate from the configured TURN server if
 * any (only that one when it is forced), everything bundled on one transport. Plugins differ only in
 * what they negotiate (`media`).
 */
export function createPeerConnection(net: PeerNetwork, media: PeerMedia = relayMedia): RTCPeerConnection {
  installNativeX25519();
  installFingerprintCache();
  installDtlsKeyCache();
  installDtlsExtensionsCache();
  installFastRtpHeader();
  installReceiverFeedbackCache();
  return new RTCPeerConnection({
    iceServers: net.turn ? [net.turn.iceServer()] : [],
    iceTransportPolicy: net.turn?.force ? 'relay' : 'all',
    iceUseIpv4: false,
    iceUseIpv6: false,
    // with `ice`, sockets on the bound addresses, advertised as announced by prepareIce (iceSetup.ts)
    iceAdditionalHostAddresses: net.ice ? boundAddresses(net.ice) : [net.announcedAddress],
    iceInterfaceAddresses: { udp4: net.bindAddress, ...(net.ice?.bindAddress6 ? { udp6: net.ice.bindAddress6 } : {}) },
    icePortRange: net.icePortRange,
    bundlePolicy: 'max-bundle',
    codecs: media.codecs,
    headerExtensions: media.headerExtensions,
  });
}
