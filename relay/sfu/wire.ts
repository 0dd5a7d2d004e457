import {
  PictureLossIndication,
  type RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpPayloadSpecificFeedback,
  type RTCDtlsTransport,
  type RTCRtpReceiver,
  type RTCRtpSender,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpHeader,
} from 'werift';
import { relayHeaderExtensions, type PeerMedia } from '../peer/factory.js';
import type { SrtpOutput } from './srtpOutput.js';

/**
 * The SFU's contact points with werift beyond its public surface (kept in one file, like
 * relay/peer/werift.ts for every peer): the per-leg RTP header writer, the sender's RTCP sender-report bookkeeping, compound PLIs, FIR parsing.
 */

const fb = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'goog-remb' },
];

/**
 * Every codec a publisher may be allowed to send. werift matches offered codecs by mime type only
 * and keeps the offer's fmtp, so one entry per codec name is enough; the room's audiocodec /
 * videocodec lists are applied to the offer before werift sees it (see sdp.ts).
 */
export const sfuCodecs = {
  audio: [
    new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 }),
    new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
    new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
    new RTCRtpCodecParameters({ mimeType: 'audio/G722', clockRate: 8000, channels: 1, payloadType: 9 }),
  ],
  video: [
    new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: fb }),
    new RTCRtpCodecParameters({ mimeType: 'video/VP9', clockRate: 90000, rtcpFeedback: fb }),
    new RTCRtpCodecParameters({
      mimeType: 'video/H264',
      clockRate: 90000,
      rtcpFeedback: fb,
      parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
    }),
    new RTCRtpCodecParameters({ mimeType: 'video/AV1', clockRate: 90000, rtcpFeedback: fb }),
  ],
};

export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/**
 * A publisher's header extensions: the relay's, plus the RFC 6464 audio level on audio (talking
 * detection). Objects of their own: werift renumbers the ids of a configuration's extensions in place.
 */
const publisherHeaderExtensions = {
  audio: [...relayHeaderExtensions.audio.map((e) => ({ ...e })), { id: 0, uri: AUDIO_LEVEL_URI }],
  video: relayHeaderExtensions.video.map((e) => ({ ...e })),
};

/** The SFU's media; `audioLevel` also accepts the audio-level header extension (publishers, room `audiolevel_ext`). */
export function sfuMedia(audioLevel: boolean): PeerMedia {
  return { codecs: sfuCodecs, headerExtensions: audioLevel ? publisherHeaderExtensions : relayHeaderExtensions };
}

/** Negotiated id of the audio-level header extension on a transceiver, if any. */
export function audioLevelExtensionId(t: RTCRtpTransceiver): number | undefined {
  return t.headerExtensions.find((e) => e.uri === AUDIO_LEVEL_URI)?.id;
}

/** A copy of a negotiated codec for a subscriber's m-line (same payload type, fmtp and feedback). */
export function cloneCodec(c: RTCRtpCodecParameters): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: c.mimeType,
    clockRate: c.clockRate,
    channels: c.channels,
    payloadType: c.payloadType,
    parameters: c.parameters,
    rtcpFeedback: c.mimeType.toLowerCase().startsWith('video/') ? fb : (c.rtcpFeedback ?? []),
  });
}

export function defaultCodec(kind: 'audio' | 'video'): RTCRtpCodecParameters {
  return cloneCodec(kind === 'audio' ? sfuCodecs.audio[0]! : sfuCodecs.video[0]!);
}

/**
 * The RTP header of one subscriber leg: one preallocated buffer per leg, patched per packet. It
 * is protected by the transport's {@link SrtpOutput}; until
 * that has keys it is handed to werift's SRTP session in place of an `RtpHeader` (the session only
 * reads `ssrc`, `sequenceNumber` and calls `serialize(serializeSize)` synchronously, see
 * node_modules/werift/lib/rtp/src/srtp/cipher/{ctr,gcm}.js).
 */
export class LegHeader {
  readonly serializeSize: number;
  sequenceNumber = 0;
  timestamp = 0;
  private readonly buf: Buffer;

  constructor(
    readonly ssrc: number,
    payloadType: number,
    midExt: { id: number; value: string } | undefined,
  ) {
    let ext: Buffer | undefined;
    if (midExt && midExt.id >= 1 && midExt.id <= 14 && midExt.value.length > 0 && midExt.value.length <= 16) {
      const v = Buffer.from(midExt.value, 'ascii');
      const len = Math.ceil((1 + v.length) / 4) * 4;
      ext = Buffer.alloc(4 + len);
      ext.writeUInt16BE(0xbede, 0);
      ext.writeUInt16BE(len / 4, 2);
      ext[4] = (midExt.id << 4) | (v.length - 1);
      v.copy(ext, 5);
    }
    this.serializeSize = 12 + (ext?.length ?? 0);
    this.buf = Buffer.alloc(this.serializeSize);
    this.buf[0] = ext ? 0x90 : 0x80;
    this.buf[1] = payloadType & 0x7f;
    this.buf.writeUInt32BE(ssrc >>> 0, 8);
    if (ext) ext.copy(this.buf, 12);
  }

  /** Sets the per-packet fields. */
  set(seq: number, timestamp: number, marker: boolean): this {
    this.sequenceNumber = seq;
    this.timestamp = timestamp;
    const b = this.buf;
    b[1] = (b[1]! & 0x7f) | (marker ? 0x80 : 0);
    b[2] = seq >> 8;
    b[3] = seq & 0xff;
    b[4] = timestamp >>> 24;
    b[5] = (timestamp >>> 16) & 0xff;
    b[6] = (timestamp >>> 8) & 0xff;
    b[7] = timestamp & 0xff;
    return this;
  }

  setPayloadType(pt: number): void {
    this.buf[1] = (this.buf[1]! & 0x80) | (pt & 0x7f);
  }

  serialize(): Buffer {
    return this.buf;
  }

  /** Sends `payload` with the current header fields, protected synchronously. */
  send(out: SrtpOutput, dtls: RTCDtlsTransport, payload: Buffer): void {
    if (!out.send(this.buf, this.serializeSize, payload, this.ssrc, this.sequenceNumber))
      void dtls.sendRtp(payload, this as unknown as RtpHeader);
  }
}

interface SenderStats {
  rtpTimestamp: number;
  octetCount: number;
  packetCount: number;
  lastSRtimestamp: number;
  lastSentSRTimestamp: number;
}

const NTP_EPOCH_OFFSET = 2208988800;

/**
 * One leg's RTCP sender report (RFC 3550 §6.4.1) and SDES CNAME (§6.5) as a compound packet, in
 * clear: the SFU sends its legs' reports itself (protected by the transport's SrtpOutput), instead
 * of one werift loop per sender (a timer, promises, a cipher and a dgram send per report). werift's
 * sender learns what was reported, so the RTT from the client's receiver reports stays right.
 */
export function senderReport(
  sender: RTCRtpSender,
  packets: number,
  octets: number,
  rtpTimestamp: number,
  atMs: number,
): Buffer {
  const ssrc = sender.ssrc >>> 0;
  const msw = (Math.floor(atMs / 1000) + NTP_EPOCH_OFFSET) >>> 0;
  const lsw = Math.floor(((atMs % 1000) / 1000) * 0x100000000) >>> 0;
  const cname = Buffer.from((sender as unknown as { cname?: string }).cname ?? '', 'utf8').subarray(0, 255);
  // SDES chunk: SSRC, CNAME item (type, length, text), at least one null octet, padded to 32 bits
  const chunk = (4 + 2 + cname.length + 4) & ~3;
  const out = Buffer.alloc(28 + 4 + chunk);
  out[0] = 0x80;
  out[1] = 200;
  out.writeUInt16BE(6, 2);
  out.writeUInt32BE(ssrc, 4);
  out.writeUInt32BE(msw, 8);
  out.writeUInt32BE(lsw, 12);
  out.writeUInt32BE(rtpTimestamp >>> 0, 16);
  out.writeUInt32BE(packets >>> 0, 20);
  out.writeUInt32BE(octets >>> 0, 24);
  out[28] = 0x81;
  out[29] = 202;
  out.writeUInt16BE((4 + chunk) / 4 - 1, 30);
  out.writeUInt32BE(ssrc, 32);
  out[36] = 1;
  out[37] = cname.length;
  cname.copy(out, 38);
  const s = sender as unknown as SenderStats;
  s.packetCount = packets >>> 0;
  s.octetCount = octets >>> 0;
  s.rtpTimestamp = rtpTimestamp >>> 0;
  s.lastSRtimestamp = (((msw & 0xffff) << 16) | (lsw >>> 16)) >>> 0;
  s.lastSentSRTimestamp = Date.now() / 1000;
  return out;
}

/** One compound RTCP packet with a PLI per media SSRC (e.g. every simulcast layer of a stream). */
export async function sendPlis(receiver: RTCRtpReceiver, ssrcs: readonly number[]): Promise<void> {
  if (ssrcs.length === 0 || receiver.stopped) return;
  const dtls = receiver.dtlsTransport;
  if (!dtls || dtls.state !== 'connected') return;
  const packets = ssrcs.map(
    (mediaSsrc) =>
      new RtcpPayloadSpecificFeedback({
        feedback: new PictureLossIndication({ senderSsrc: receiver.rtcpSsrc, mediaSsrc }),
      }),
  );
  await dtls.sendRtcp(packets);
}

/** The media SSRCs a FIR asks keyframes for, or undefined for any other RTCP packet. */
export function firTargets(packet: RtcpPacket): number[] | undefined {
  if (packet.type !== RtcpPayloadSpecificFeedback.type) return undefined;
  const feedback = (packet as RtcpPayloadSpecificFeedback).feedback as
    { count?: number; fir?: Array<{ ssrc: number }> } | undefined;
  if (!feedback || feedback.count !== 4 || !feedback.fir) return undefined;
  return feedback.fir.map((e) => e.ssrc);
}

/** Negotiated id of the sdes:mid header extension, if any. */
export function midExtensionId(pc: RTCPeerConnection): number | undefined {
  for (const [id, uri] of Object.entries(pc.extIdUriMap))
    if (uri === 'urn:ietf:params:rtp-hdrext:sdes:mid') return Number(id);
  return undefined;
}
