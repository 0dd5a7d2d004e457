import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { installFastRtpHeader } from './fastRtpHeader.js';
import { installFingerprintCache } from './fingerprintCache.js';
import { installNativeX25519 } from './nativeX25519.js';
import { installReceiverFeedbackCache } from './receiverFeedbackCache.js';

/** Where a PeerConnection's sockets live. */
export interface PeerNetwork {
  /** IP the UDP sockets bind to. */
  bindAddress: string;
  /** IP written into the host candidate. */
  announcedAddress: string;
  icePortRange?: [number, number];
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
 * bound to `bindAddress` (ports from the pool, see relay/net/ports.ts), no STUN/TURN (werift's
 * default config would query Google's STUN server), everything bundled on one transport. Plugins
 * differ only in what they negotiate (`media`).
 */
export function createPeerConnection(net: PeerNetwork, media: PeerMedia = relayMedia): RTCPeerConnection {
  installNativeX25519();
  installFingerprintCache();
  installFastRtpHeader();
  installReceiverFeedbackCache();
  return new RTCPeerConnection({
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [net.announcedAddress],
    iceInterfaceAddresses: { udp4: net.bindAddress },
    icePortRange: net.icePortRange,
    bundlePolicy: 'max-bundle',
    codecs: media.codecs,
    headerExtensions: media.headerExtensions,
  });
}
