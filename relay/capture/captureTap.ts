import type { RTCDtlsTransport, RtcpPacket, RtpHeader } from 'werift';
import type { PacketCapture } from './packetCapture.js';

/**
 * Where a DTLS transport's clear packets go while its peer is captured (`peer.capture`). Each place
 * that sees clear media on a transport holds the transport's tap and checks `capture` per packet (one
 * property read when nothing is captured): inbound SRTP/SRTCP once unprotected (../srtp/srtpInput.ts),
 * the SFU's own RTP and RTCP before protection (../sfu/srtpOutput.ts), and what werift itself sends
 * (its `sendRtp` / `sendRtcp`: receiver reports, NACKs, PLIs, the EchoTest's echo), wrapped here the
 * first time a capture starts on the transport.
 */
export interface CaptureTap {
  capture: PacketCapture | undefined;
}

const taps = new WeakMap<RTCDtlsTransport, CaptureTap>();
const wrapped = new WeakSet<RTCDtlsTransport>();

/** The transport's one tap. */
export function captureTapOf(dtls: RTCDtlsTransport): CaptureTap {
  let tap = taps.get(dtls);
  if (!tap) taps.set(dtls, (tap = { capture: undefined }));
  return tap;
}

/** Header fields werift's sendRtp is given: its own RtpHeader, or the SFU's wire header (../sfu/wire.ts). */
interface SerializableHeader {
  readonly serializeSize: number;
  serialize(size: number): Buffer;
}

/** Points the transport's tap at `capture` (undefined: stops), wrapping werift's sends once. */
export function setCapture(dtls: RTCDtlsTransport, capture: PacketCapture | undefined): void {
  const tap = captureTapOf(dtls);
  tap.capture = capture;
  if (!capture || wrapped.has(dtls)) return;
  wrapped.add(dtls);
  const sendRtp = dtls.sendRtp.bind(dtls);
  const sendRtcp = dtls.sendRtcp.bind(dtls);
  dtls.sendRtp = (payload: Buffer, header: RtpHeader) => {
    const c = tap.capture;
    if (c) {
      const h = header as unknown as SerializableHeader;
      const size = h.serializeSize;
      c.write('rtp', false, Buffer.concat([h.serialize(size).subarray(0, size), payload]));
    }
    return sendRtp(payload, header);
  };
  dtls.sendRtcp = (packets: RtcpPacket[]) => {
    tap.capture?.write('rtcp', false, Buffer.concat(packets.map((p) => p.serialize())));
    return sendRtcp(packets);
  };
}
