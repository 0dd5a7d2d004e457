import type { Socket } from 'node:dgram';
import type { SfuForwarderInfo, SfuForwardStream } from '../../shared/control/sfu.js';
import { RelayError } from '../errors.js';
import { closeQuietly } from '../net/sockets.js';
import { SRTP_AES128_CM_HMAC_SHA1_32, SRTP_AES128_CM_HMAC_SHA1_80 } from '../srtp/profile.js';
import { holdSends, releaseSends, UdpPath } from '../net/directUdp.js';
import { createProtector, type SrtpProtector } from '../srtp/protector.js';
import { RolloverCounter } from '../srtp/rollover.js';
import type { FeedStream } from './feed.js';
import { SendHistory } from './history.js';
import type { DataSink, FeedTap } from './outputs.js';
import { LayerSelector, SeqRewriter } from './rewrite.js';

/**
 * RTP forwarders (Janus `rtp_forward`, src/rtpfwd.c): copies of a publisher's streams sent as plain
 * (or SRTP) RTP over UDP to host:port.
 *
 * - All forwarders of one publisher send from ONE UDP socket ({@link PublisherForwarders}), bound to
 *   the relay's bind address on a port of its media range (shared with remote publishers, see
 *   relay/net/sockets.ts), opened with the first forwarder and closed with the last. IPv4 only
 *   (the bind address is IPv4).
 * - Each forwarder rewrites SSRC (given or random) and payload type (given, else the packet's own),
 *   keeps its own sequence / timestamp continuity, and writes the 12-byte header into its own buffer
 *   (the publisher's header extensions are not forwarded). The shared packet is never touched.
 * - Simulcast: `simulcast:true` forwards the highest layer seen in the last second (or `substream`,
 *   falling back to lower layers while it is absent), switching at keyframes; otherwise the single
 *   layer `substream` (default 0, like Janus's `port`).
 * - `rtcp_port`: a local RTCP socket per forwarder, latched with two empty 12-byte RTP packets (as
 *   rtpfwd.c does). What arrives on it is dispatched by media SSRC among the forwarders sending to
 *   the same host:port (a cascade has one RTCP socket for all its streams and layers): a PLI/FIR asks
 *   the named forwarder's feed for a keyframe, a NACK is answered from that forwarder's history. A
 *   keyframe request naming no forwarder (or unreadable: SRTCP) goes to the receiving forwarder's own
 *   feed, as in rtpfwd.c, which ignores the SSRC.
 * - `nack` (video, off by default: Janus's forwarders never retransmit): the last 512 packets sent are
 *   kept by outgoing sequence number, and generic NACKs are answered by resending them unchanged.
 * - `srtp`: relay/srtp's AES_CM_128_HMAC_SHA1_80 or _32 (suite 80 / 32), keyed once per forwarder.
 * - Data (`mid` of the data channel): each message is sent as one raw UDP datagram (like Janus), or
 *   with `wrap_data` behind a 12-byte RTP header (publish_remotely: what a remote publisher expects).
 */

/** Packets a `nack` forwarder can resend (as a subscriber leg's history). */
export const FORWARD_HISTORY_SIZE = 512;

let nextForwarderId = 1;
/** The 12-byte RTP header of one forwarder, written in place per packet. */
class ForwardHeader {
  readonly buf = Buffer.alloc(12);

  constructor(readonly ssrc: number) {
    this.buf[0] = 0x80;
    this.buf.writeUInt32BE(ssrc >>> 0, 8);
  }

  set(pt: number, seq: number, ts: number, marker: boolean): void {
    const b = this.buf;
    b[1] = (pt & 0x7f) | (marker ? 0x80 : 0);
    b[2] = seq >> 8;
    b[3] = seq & 0xff;
    b.writeUInt32BE(ts, 4);
  }
}

/** Plain RTP datagrams (header + payload) are assembled here and sent synchronously (or copied by UdpPath). */
let plain = Buffer.alloc(2048);
function assemble(header: Buffer, body: Buffer): number {
  const n = header.length + body.length;
  if (plain.length < n) plain = Buffer.alloc(n * 2);
  header.copy(plain, 0);
  body.copy(plain, header.length);
  return n;
}

export interface SrtpKey {
  suite: 32 | 80;
  key: Buffer;
  salt: Buffer;
}

/** base64 SDES inline key → 16-byte master key + 14-byte salt; 467 when malformed. */
export function parseSrtpCrypto(suite: 32 | 80, crypto: string): SrtpKey {
  const raw = Buffer.from(crypto, 'base64');
  if (raw.length !== 30 || raw.toString('base64').replace(/=+$/, '') !== crypto.replace(/=+$/, '')) {
    throw new RelayError(467, 'Invalid SRTP crypto (base64 of a 30-byte master key + salt)');
  }
  return { suite, key: raw.subarray(0, 16), salt: raw.subarray(16) };
}

export class RtpForwarder implements FeedTap, DataSink {
  readonly id = nextForwarderId++;
  readonly ssrc: number;
  readonly pt: number | undefined;
  rtcp: Socket | undefined;
  packetsOut = 0;
  bytesOut = 0;
  plisIn = 0;
  nacksIn = 0;
  retransmitted = 0;
  /** `nack` on a video stream: what was sent, by outgoing sequence number. */
  private readonly history: SendHistory | undefined;
  // rewriting
  private readonly header: ForwardHeader;
  private readonly fixedPt: number;
  private readonly srtp: SrtpProtector | undefined;
  /** host:port on the publisher's forwarder socket (direct sends, relay/net/directUdp.ts). */
  private readonly path: UdpPath;
  private readonly roc = new RolloverCounter();
  private readonly wrapData: boolean;
  private readonly out: SeqRewriter;
  /** Simulcast: `recent` with `simulcast: true` (Janus's forwarders have no fallback timer), else `fixed`. */
  private readonly layers: LayerSelector;

  constructor(
    private readonly sock: Socket,
    readonly mid: string,
    readonly type: 'audio' | 'video' | 'data',
    readonly feed: FeedStream | undefined,
    readonly host: string,
    readonly port: number,
    readonly rtcpPort: number | undefined,
    req: SfuForwardStream,
    srtp: SrtpKey | undefined,
  ) {
    this.ssrc = req.ssrc ?? (Math.random() * 0xfffffffe + 1) >>> 0;
    this.header = new ForwardHeader(this.ssrc);
    this.fixedPt = req.pt ?? -1;
    this.pt = feed ? (req.pt ?? feed.codecParams?.payloadType) : undefined;
    this.out = new SeqRewriter(feed?.codecParams?.clockRate ?? (type === 'audio' ? 48000 : 90000));
    const switching = req.simulcast === true;
    this.layers = new LayerSelector(switching ? 'recent' : 'fixed', req.substream ?? (switching ? 2 : 0), this.out);
    this.wrapData = req.wrap_data === true && !feed;
    this.history = req.nack === true && type === 'video' && feed ? new SendHistory(FORWARD_HISTORY_SIZE) : undefined;
    this.path = new UdpPath(sock, host, port);
    if (srtp && feed)
      this.srtp = createProtector(
        srtp.suite === 32 ? SRTP_AES128_CM_HMAC_SHA1_32 : SRTP_AES128_CM_HMAC_SHA1_80,
        srtp.key,
        srtp.salt,
      );
  }

  get encrypted(): boolean {
    return this.srtp !== undefined;
  }

  info(): SfuForwarderInfo {
    const out: SfuForwarderInfo = {
      id: this.id,
      mid: this.mid,
      type: this.type,
      host: this.host,
      port: this.port,
      srtp: this.srtp !== undefined,
    };
    if (this.feed) {
      out.ssrc = this.ssrc;
      if (this.pt !== undefined) out.pt = this.pt;
    }
    if (this.history) out.nack = true;
    const local = this.rtcp?.address().port;
    if (local !== undefined) out.local_rtcp_port = local;
    return out;
  }

  // ---- the packet path ------------------------------------------------------------------------

  forward(
    layer: number,
    layers: number,
    pt: number,
    seq: number,
    ts: number,
    marker: boolean,
    payload: Buffer,
    key: boolean,
    now: number,
  ): void {
    if (layers > 1 && !this.layers.accept(layer, layers, key, now, this.feed)) return;
    const out = this.out;
    out.rewrite(seq, ts, now);
    const outPt = this.fixedPt >= 0 ? this.fixedPt : pt;
    this.send(outPt, out.seq, out.ts, marker, payload);
    this.packetsOut++;
    this.bytesOut += payload.length;
    if (this.history) this.history.put(out.seq, out.ts, marker, payload, outPt);
  }

  resync(): void {
    this.out.rebase();
  }

  /** One RTP packet with the forwarder's SSRC, plain or SRTP. */
  private send(pt: number, seq: number, ts: number, marker: boolean, payload: Buffer): void {
    // the header buffer is rewritten by the next packet: the datagram is assembled (or protected)
    // into a buffer that is sent at once, or copied when it has to wait in dgram's queue
    const h = this.header;
    const p = this.srtp;
    h.set(pt, seq, ts, marker);
    if (p)
      this.path.send(
        p.output,
        p.protectRtpInto(h.buf, 12, payload, this.ssrc, seq, this.roc.next(seq)),
        p.reusesOutput,
      );
    else this.path.send(plain, assemble(h.buf, payload), true);
  }

  /** A generic NACK naming this forwarder: resends what is still in the history, unchanged. */
  onNack(lost: readonly number[]): void {
    this.nacksIn++;
    const h = this.history;
    if (!h) return;
    holdSends(); // the burst leaves in one sendmmsg(2)
    try {
      for (const seq of lost) {
        const payload = h.payload(seq);
        if (!payload) continue;
        this.send(h.payloadType(seq), seq, h.timestamp(seq), h.marker(seq), payload);
        this.retransmitted++;
      }
    } finally {
      releaseSends();
    }
  }

  /** A PLI or FIR naming this forwarder (or unaddressed, on its RTCP socket). */
  onKeyframeRequest(): void {
    this.plisIn++;
    this.feed?.requestKeyframe();
  }

  /** A data channel message of the publisher: one raw datagram, or fake RTP for a remote publisher (`wrap_data`). */
  sendData(msg: string | Buffer): void {
    if (this.wrapData) {
      const body = typeof msg === 'string' ? Buffer.from(msg) : msg;
      const h = this.header;
      h.set(typeof msg === 'string' ? 0 : 1, this.out.next(), 0, false);
      this.path.send(plain, assemble(h.buf, body), true);
    } else this.sock.send(msg, this.port, this.host);
    this.packetsOut++;
    this.bytesOut += typeof msg === 'string' ? Buffer.byteLength(msg) : msg.length;
  }

  /** Attaches the local RTCP socket: latches the remote NAT; what arrives goes to `onRtcp` (see {@link PublisherForwarders}). */
  attachRtcp(sock: Socket, onRtcp: (msg: Buffer) => void): void {
    this.rtcp = sock;
    sock.on('message', onRtcp);
    const latch = Buffer.alloc(12);
    latch[0] = 0x80;
    sock.send(latch, this.rtcpPort!, this.host);
    sock.send(latch, this.rtcpPort!, this.host);
  }

  close(): void {
    this.feed?.removeTap(this);
    closeQuietly(this.rtcp);
    this.rtcp = undefined;
  }
}
