import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpPayloadSpecificFeedback,
  ReceiverEstimatedMaxBitrate,
  RtpHeader,
  RtpPacket,
  type RTCDtlsTransport,
  type RTCRtpReceiver,
  type RTCRtpSender,
} from 'werift';

/**
 * Everything that touches werift beyond its public W3C-ish surface lives here, so a werift upgrade
 * has one file to check.
 */

const nackPliRemb = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }];

export const relayCodecs = {
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
};

const ext = (id: number, uri: string) => ({ id, uri });
export const relayHeaderExtensions = {
  audio: [ext(1, 'urn:ietf:params:rtp-hdrext:sdes:mid')],
  video: [
    ext(1, 'urn:ietf:params:rtp-hdrext:sdes:mid'),
    ext(2, 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id'),
    ext(3, 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id'),
  ],
};

export interface PeerNetwork {
  /** IP the UDP sockets bind to. */
  bindAddress: string;
  /** IP written into the host candidate. */
  announcedAddress: string;
  icePortRange?: [number, number];
}

/**
 * One host candidate on `announcedAddress`, its socket bound to `bindAddress`, no STUN/TURN
 * (werift's default config would query Google's STUN server), everything bundled on one transport.
 */
export function createPeerConnection(net: PeerNetwork): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [net.announcedAddress],
    iceInterfaceAddresses: { udp4: net.bindAddress },
    icePortRange: net.icePortRange,
    bundlePolicy: 'max-bundle',
    codecs: relayCodecs,
    headerExtensions: relayHeaderExtensions,
  });
}

/** A private copy of a packet for one output (werift's sendRtp rewrites the header and caches it). */
export function copyPacket(rtp: RtpPacket): RtpPacket {
  const h = rtp.header;
  return new RtpPacket(new RtpHeader({ ...h, extensions: h.extensions.slice(), csrc: h.csrc.slice() }), rtp.payload);
}

/**
 * Re-bases the sender's sequence numbers and timestamps so the next packet (from a different source,
 * e.g. another simulcast layer) continues the outgoing stream without a jump.
 */
export function rebaseSender(sender: RTCRtpSender, next: RtpPacket): void {
  sender.replaceRTP({
    sequenceNumber: (next.header.sequenceNumber + 0xffff) & 0xffff,
    timestamp: (next.header.timestamp - 1) >>> 0,
  });
}

export async function sendRemb(receiver: RTCRtpReceiver, bitrate: number, ssrcs: number[]): Promise<void> {
  if (ssrcs.length === 0 || receiver.stopped) return;
  let mantissa = Math.max(0, Math.floor(bitrate));
  let exp = 0;
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  const packet = new RtcpPayloadSpecificFeedback({
    feedback: new ReceiverEstimatedMaxBitrate({
      senderSsrc: receiver.rtcpSsrc,
      mediaSsrc: 0,
      ssrcNum: ssrcs.length,
      brExp: exp,
      brMantissa: mantissa,
      ssrcFeedbacks: ssrcs,
    }),
  });
  await receiver.dtlsTransport.sendRtcp([packet]);
}

/**
 * Sends a DTLS close_notify alert on a connected transport, as browsers and Janus do when they close a
 * PeerConnection (werift has no API for it). The alert goes through werift's own record layer: its
 * application-data path with the content type switched to alert(21) before encryption.
 */
export async function sendCloseNotify(dtls: RTCDtlsTransport): Promise<void> {
  const socket = (dtls as unknown as { dtls?: { cipher?: { encryptPacket(pkt: unknown): unknown }; send(buf: Buffer): Promise<void> } }).dtls;
  const cipher = socket?.cipher;
  if (!socket || !cipher || dtls.state !== 'connected') return;
  const encrypt = cipher.encryptPacket;
  cipher.encryptPacket = function (pkt: unknown) {
    (pkt as { recordLayerHeader: { contentType: number } }).recordLayerHeader.contentType = 21;
    return encrypt.call(this, pkt);
  };
  try {
    await socket.send(Buffer.from([1, 0])); // level warning(1), close_notify(0)
  } catch {
    // best effort
  } finally {
    cipher.encryptPacket = encrypt;
  }
}

export interface Endpoint {
  address: string;
  port: number;
  type: string;
  transport: string;
  family: string;
}

interface IceCandidateLike {
  host: string;
  port: number;
  type: string;
  transport: string;
}

function endpoint(c: IceCandidateLike): Endpoint {
  return { address: c.host, port: c.port, type: c.type, transport: c.transport.toLowerCase(), family: c.host.includes(':') ? 'ipv6' : 'ipv4' };
}

export function selectedPair(pc: RTCPeerConnection): { local: Endpoint; remote: Endpoint } | null {
  const conn = pc.iceTransports[0]?.connection as unknown as
    | { nominated?: { localCandidate: IceCandidateLike; remoteCandidate: IceCandidateLike } }
    | undefined;
  const pair = conn?.nominated;
  if (!pair) return null;
  try {
    return { local: endpoint(pair.localCandidate), remote: endpoint(pair.remoteCandidate) };
  } catch {
    return null;
  }
}

/** Local candidate ports the PeerConnection's ICE transports use (for port accounting checks). */
export function localCandidatePorts(pc: RTCPeerConnection): number[] {
  const ports: number[] = [];
  for (const t of pc.iceTransports) {
    const conn = t.connection as unknown as { localCandidates?: IceCandidateLike[] };
    for (const c of conn.localCandidates ?? []) ports.push(c.port);
  }
  return ports;
}

interface StreamStatisticsLike {
  packets_lost: number;
  jitter: number;
  clockRate: number;
}

/** Loss and jitter (ms) of what the client sends on this receiver. */
export function receiverQuality(receiver: RTCRtpReceiver): { lost: number; jitterMs: number } {
  const streams = (receiver as unknown as { remoteStreams?: Record<number, StreamStatisticsLike> }).remoteStreams ?? {};
  let lost = 0;
  let jitterMs = 0;
  for (const s of Object.values(streams)) {
    lost += s.packets_lost;
    jitterMs = Math.max(jitterMs, (s.jitter / s.clockRate) * 1000);
  }
  return { lost, jitterMs: Math.round(jitterMs * 100) / 100 };
}

/** RTT (ms) and loss the client reports for what we send on this sender. */
export function senderQuality(sender: RTCRtpSender): { rttMs: number; lostByRemote: number; remb: number } {
  const s = sender as unknown as { rtt?: number; remotePacketsLost?: number; receiverEstimatedMaxBitrate?: bigint };
  return {
    rttMs: s.rtt !== undefined ? Math.round(s.rtt * 1000) : 0,
    lostByRemote: s.remotePacketsLost ?? 0,
    remb: Number(s.receiverEstimatedMaxBitrate ?? 0n),
  };
}
