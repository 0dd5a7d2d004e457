import type { Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { ProtectionProfileAes128CmHmacSha1_80, SrtpSession, type RtpHeader } from 'werift';
import type { SfuForwarderInfo, SfuForwardStream } from '../../shared/control/sfu.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FeedStream, FeedTap } from './feed.js';
import { SendHistory } from './history.js';
import { forwarderSocketCount, FORWARD_SOCKET_ERROR, FORWARD_SOCKET_REASON, openPooledSocket } from '../net/sockets.js';
import type { PortPool } from '../net/ports.js';
import type { DataSink } from './publisher.js';
import { hasKeyframeRequest, parseRtcpFeedback } from './rtcp.js';

export { hasKeyframeRequest } from './rtcp.js';
export { forwarderSocketCount, FORWARD_SOCKET_ERROR, FORWARD_SOCKET_REASON };

/**
 * RTP forwarders (Janus `rtp_forward`, src/rtpfwd.c): copies of a publisher's streams sent as plain
 * (or SRTP) RTP over UDP to host:port.
 *
 * - All forwarders of one publisher send from ONE UDP socket ({@link PublisherForwarders}), bound to
 *   the relay's bind address on a port of its media range (shared with remote publishers, see
 *   relay/cascade/sockets.ts), opened with the first forwarder and closed with the last. IPv4 only
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
 * - `srtp`: werift's SRTP (AES_CM_128_HMAC_SHA1_80). werift has no _32 profile: suite 32 sends the
 *   same packet with the HMAC-SHA1 tag truncated to 4 bytes, which is exactly what _32 is.
 * - Data (`mid` of the data channel): each message is sent as one raw UDP datagram (like Janus), or
 *   with `wrap_data` behind a 12-byte RTP header (publish_remotely: what a remote publisher expects).
 */

const LAYER_STALE_MS = 1000;
const SWITCH_PLI_INTERVAL_MS = 1000;
/** srtp suite 32: the last 6 of werift's 10 tag bytes are dropped. */
const TAG_TRIM_32 = 6;
/** Packets a `nack` forwarder can resend (as a subscriber leg's history). */
export const FORWARD_HISTORY_SIZE = 512;

let nextForwarderId = 1;
/** Hosts are resolved when a forwarder is created; sends never wait for a lookup. */
const echoLookup = (host: string, _family: unknown, cb: (err: Error | null, address: string, family: number) => void): void => cb(null, host, 4);

function closeSocket(s: Socket): void {
  try {
    s.close();
  } catch {
    // already closed
  }
}

/** A forwarder socket on a port of the relay's media range (`pool`); 499 when none can be bound. */
export function openForwardSocket(pool: PortPool, bindAddress: string, log?: Logger): Promise<Socket> {
  return openPooledSocket(pool, bindAddress, log, { kind: 'forwarder', lookup: echoLookup as never });
}

/** The 12-byte RTP header of one forwarder, handed to werift's SRTP in place of an `RtpHeader` (see LegHeader). */
class ForwardHeader {
  readonly serializeSize = 12;
  sequenceNumber = 0;
  buf = Buffer.alloc(12);

  constructor(readonly ssrc: number) {
    this.buf[0] = 0x80;
    this.buf.writeUInt32BE(ssrc >>> 0, 8);
  }

  set(pt: number, seq: number, ts: number, marker: boolean): void {
    this.sequenceNumber = seq;
    const b = this.buf;
    b[1] = (pt & 0x7f) | (marker ? 0x80 : 0);
    b[2] = seq >> 8;
    b[3] = seq & 0xff;
    b.writeUInt32BE(ts, 4);
  }

  /** A queued send still references the buffer: continue in a fresh one. */
  renew(): void {
    this.buf = Buffer.from(this.buf);
  }

  serialize(): Buffer {
    return this.buf;
  }
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
  private readonly srtp: SrtpSession | undefined;
  private readonly trim: number;
  private readonly clockRate: number;
  private readonly switching: boolean;
  private readonly target: number;
  private readonly wrapData: boolean;
  private readonly layerAt = [0, 0, 0];
  private curLayer = -1;
  private lastPliAt = 0;
  private started = false;
  private rebase = true;
  private seqOffset = 0;
  private tsOffset = 0;
  private lastSeq: number;
  private lastTs: number;
  private lastAt = 0;

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
    this.ssrc = req.ssrc ?? ((Math.random() * 0xfffffffe + 1) >>> 0);
    this.header = new ForwardHeader(this.ssrc);
    this.fixedPt = req.pt ?? -1;
    this.pt = feed ? (req.pt ?? feed.codecParams?.payloadType) : undefined;
    this.clockRate = feed?.codecParams?.clockRate ?? (type === 'audio' ? 48000 : 90000);
    this.switching = req.simulcast === true;
    this.wrapData = req.wrap_data === true && !feed;
    this.target = req.substream ?? (this.switching ? 2 : 0);
    this.history = req.nack === true && type === 'video' && feed ? new SendHistory(FORWARD_HISTORY_SIZE) : undefined;
    if (srtp && feed) {
      const keys = { localMasterKey: srtp.key, localMasterSalt: srtp.salt, remoteMasterKey: srtp.key, remoteMasterSalt: srtp.salt };
      this.srtp = new SrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
      this.trim = srtp.suite === 32 ? TAG_TRIM_32 : 0;
    } else this.trim = 0;
    this.lastSeq = Math.floor(Math.random() * 0x10000);
    this.lastTs = Math.floor(Math.random() * 0x100000000) >>> 0;
  }

  get encrypted(): boolean {
    return this.srtp !== undefined;
  }

  info(): SfuForwarderInfo {
    const out: SfuForwarderInfo = { id: this.id, mid: this.mid, type: this.type, host: this.host, port: this.port, srtp: this.srtp !== undefined };
    if (this.feed) {
      out.ssrc = this.ssrc;
      if (this.pt !== undefined) out.pt = this.pt;
    }
    if (this.history) out.nack = true;
    const local = this.rtcp?.address().port;
    if (local !== undefined) out.local_rtcp_port = local;
    return out;
  }

  /** The simulcast layer to forward now (switching mode): the target, or the highest lower layer seen recently. */
  private wanted(layers: number, now: number): number {
    let l = this.target < layers ? this.target : layers - 1;
    while (l > 0 && now - this.layerAt[l]! > LAYER_STALE_MS) l--;
    return l;
  }

  // ---- the packet path ------------------------------------------------------------------------

  forward(layer: number, layers: number, pt: number, seq: number, ts: number, marker: boolean, payload: Buffer, key: boolean, now: number): void {
    if (layers > 1) {
      if (this.switching) {
        this.layerAt[layer] = now;
        const want = this.wanted(layers, now);
        if (want !== this.curLayer && now - this.lastPliAt >= SWITCH_PLI_INTERVAL_MS) {
          this.lastPliAt = now;
          this.feed!.requestKeyframe(now);
        }
        if (layer !== this.curLayer) {
          if (!key || layer !== want) return;
          this.curLayer = layer;
          this.rebase = true;
        }
      } else if (layer !== (this.target < layers ? this.target : layers - 1)) return;
    }
    if (this.rebase) {
      this.rebase = false;
      if (this.started) {
        let dt = Math.round(((now - this.lastAt) * this.clockRate) / 1000);
        if (dt < 1) dt = 1;
        this.seqOffset = (this.lastSeq + 1 - seq) & 0xffff;
        this.tsOffset = (this.lastTs + dt - ts) >>> 0;
      } else {
        this.started = true;
        this.seqOffset = (this.lastSeq - seq) & 0xffff;
        this.tsOffset = (this.lastTs - ts) >>> 0;
      }
    }
    const outSeq = (seq + this.seqOffset) & 0xffff;
    const outTs = (ts + this.tsOffset) >>> 0;
    const outPt = this.fixedPt >= 0 ? this.fixedPt : pt;
    this.send(outPt, outSeq, outTs, marker, payload);
    if (((outSeq - this.lastSeq) & 0xffff) < 0x8000) {
      this.lastSeq = outSeq;
      this.lastTs = outTs;
    }
    this.lastAt = now;
    this.packetsOut++;
    this.bytesOut += payload.length;
    if (this.history) this.history.put(outSeq, outTs, marker, payload, outPt);
  }

  /** One RTP packet with the forwarder's SSRC, plain or SRTP. */
  private send(pt: number, seq: number, ts: number, marker: boolean, payload: Buffer): void {
    const h = this.header;
    const sock = this.sock;
    if (this.srtp) {
      // werift serializes the header synchronously into a new buffer
      h.set(pt, seq, ts, marker);
      const pkt = this.srtp.encrypt(payload, h as unknown as RtpHeader);
      sock.send(this.trim ? pkt.subarray(0, pkt.length - this.trim) : pkt, this.port, this.host);
    } else {
      // the send is attempted synchronously; only a queued one keeps a reference to the header
      if (sock.getSendQueueCount() !== 0) h.renew();
      h.set(pt, seq, ts, marker);
      sock.send([h.buf, payload], this.port, this.host);
    }
  }

  /** A generic NACK naming this forwarder: resends what is still in the history, unchanged. */
  onNack(lost: readonly number[]): void {
    this.nacksIn++;
    const h = this.history;
    if (!h) return;
    for (const seq of lost) {
      const payload = h.payload(seq);
      if (!payload) continue;
      this.send(h.payloadType(seq), seq, h.timestamp(seq), h.marker(seq), payload);
      this.retransmitted++;
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
      if (this.sock.getSendQueueCount() !== 0) h.renew();
      this.lastSeq = (this.lastSeq + 1) & 0xffff;
      h.set(typeof msg === 'string' ? 0 : 1, this.lastSeq, 0, false);
      this.sock.send([h.buf, body], this.port, this.host);
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
    if (this.rtcp) closeSocket(this.rtcp);
    this.rtcp = undefined;
  }
}

/** What a publisher offers its forwarders. */
export interface ForwardSource {
  readonly feeds: ReadonlyMap<string, FeedStream>;
  readonly dataMid: string | undefined;
  readonly dataSinks: Set<DataSink>;
}

export interface ForwarderNetwork {
  bindAddress: string;
  ports: PortPool;
}

/** The forwarders of one publisher and their shared UDP socket. */
export class PublisherForwarders {
  private sock: Socket | undefined;
  private readonly list = new Map<number, RtpForwarder>();
  private closed = false;

  constructor(
    private readonly source: ForwardSource,
    /** Where forwarder sockets come from: the relay's bind address and media port range. */
    private readonly net: ForwarderNetwork,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.list.size;
  }

  /** `sfu.forward`: validates everything first, then opens the sockets, then starts forwarding. */
  async add(streams: SfuForwardStream[], srtp: { suite: 32 | 80; crypto: string } | undefined): Promise<SfuForwarderInfo[]> {
    const src = this.source;
    const plan = streams.map((s) => {
      const feed = src.feeds.get(s.mid);
      if (feed) return { s, feed, type: feed.kind as 'audio' | 'video' | 'data' };
      if (s.mid === src.dataMid) return { s, feed: undefined, type: 'data' as const };
      throw new RelayError(Codes.INVALID_STREAM, `No such publisher stream ${s.mid}`);
    });
    const key = srtp ? parseSrtpCrypto(srtp.suite, srtp.crypto) : undefined;
    const hosts = new Map<string, string>();
    for (const s of streams) if (!hosts.has(s.host)) hosts.set(s.host, await resolveHost(s.host));

    const opened: Socket[] = [];
    const release = () => {
      for (const s of opened) closeSocket(s);
      if (this.list.size === 0 && this.sock) {
        closeSocket(this.sock);
        this.sock = undefined;
      }
    };
    const rtcp: Array<Socket | undefined> = [];
    try {
      if (!this.sock && !this.closed) this.sock = await openForwardSocket(this.net.ports, this.net.bindAddress, this.log);
      for (const s of streams) {
        if (s.rtcp_port) {
          const r = await openForwardSocket(this.net.ports, this.net.bindAddress, this.log);
          opened.push(r);
          rtcp.push(r);
        } else rtcp.push(undefined);
      }
    } catch (err) {
      release();
      throw err;
    }
    if (this.closed || !this.sock) {
      release();
      throw new RelayError(Codes.PEER_NOT_FOUND, 'The publisher is gone');
    }
    const out: SfuForwarderInfo[] = [];
    plan.forEach(({ s, feed, type }, i) => {
      const host = hosts.get(s.host)!;
      const f = new RtpForwarder(this.sock!, s.mid, type, feed, host, s.port, s.rtcp_port || undefined, s, key);
      this.list.set(f.id, f);
      const r = rtcp[i];
      if (r) f.attachRtcp(r, (msg) => this.onRtcp(f, msg));
      if (feed) {
        feed.addTap(f);
        feed.requestKeyframe();
      } else src.dataSinks.add(f);
      out.push(f.info());
    });
    this.log.debug('rtp forwarders added', { forwarders: out });
    return out;
  }

  /** `sfu.stopForward`: false when there is no such forwarder. */
  remove(id: number): boolean {
    const f = this.list.get(id);
    if (!f) return false;
    this.drop(f);
    if (this.list.size === 0 && this.sock) {
      closeSocket(this.sock);
      this.sock = undefined;
    }
    return true;
  }

  /**
   * RTCP on the RTCP socket of `at`: feedback is applied to the forwarder it names by media SSRC,
   * among those sending to the same host:port as `at` (one cascade: 1000 + mindex*10 + layer).
   */
  private onRtcp(at: RtpForwarder, msg: Buffer): void {
    if (this.closed) return;
    const feedback = parseRtcpFeedback(msg);
    if (!feedback) {
      // SRTCP or unreadable: only the first header can be trusted (today's rtpfwd.c behaviour)
      if (hasKeyframeRequest(msg)) at.onKeyframeRequest();
      return;
    }
    for (const fb of feedback) {
      const target = this.bySsrc(at, fb.ssrc);
      if (fb.kind === 'keyframe') (target ?? at).onKeyframeRequest();
      else target?.onNack(fb.lost);
    }
  }

  private bySsrc(at: RtpForwarder, ssrc: number): RtpForwarder | undefined {
    if (at.feed && at.ssrc === ssrc) return at;
    for (const f of this.list.values()) if (f.feed && f.ssrc === ssrc && f.port === at.port && f.host === at.host) return f;
    return undefined;
  }

  private drop(f: RtpForwarder): void {
    f.close();
    this.source.dataSinks.delete(f);
    this.list.delete(f.id);
  }

  /** The publisher is closing: every forwarder and socket goes. */
  closeAll(): void {
    this.closed = true;
    for (const f of [...this.list.values()]) this.drop(f);
    if (this.sock) closeSocket(this.sock);
    this.sock = undefined;
  }

  info(): Array<SfuForwarderInfo & { packetsOut: number; bytesOut: number; plisIn: number; nacksIn: number; retransmitted: number }> {
    return [...this.list.values()].map((f) => ({ ...f.info(), packetsOut: f.packetsOut, bytesOut: f.bytesOut, plisIn: f.plisIn, nacksIn: f.nacksIn, retransmitted: f.retransmitted }));
  }
}

async function resolveHost(host: string): Promise<string> {
  if (isIPv4(host)) return host;
  if (isIP(host) === 6) throw new RelayError(467, 'Attempt to create an IPv6 forwarder, but IPv6 networking is not available');
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    throw new RelayError(467, `Could not resolve address (${host})`);
  }
}
