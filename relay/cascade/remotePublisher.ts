import type { RemoteInfo, Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { ProtectionProfileAes128CmHmacSha1_80, RTCRtpCodecParameters, SrtpSession, type RtpPacket } from 'werift';
import type { SfuPublisherStream, SfuRemoteStream } from '../../shared/control/sfu.js';
import { RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { BufferedFeed } from '../sfu/bufferedFeed.js';
import { DataFanout } from '../sfu/dataFanout.js';
import { FeedStream, type FeedSource } from '../sfu/feed.js';
import { PublisherForwarders, type ForwarderNetwork } from '../sfu/forward.js';
import { parseSrtpCrypto } from '../sfu/forwarder.js';
import type { DataSink } from '../sfu/outputs.js';
import { buildNack, seqRange } from '../sfu/rtcp.js';
import { sfuCodecs } from '../sfu/wire.js';
import { closeQuietly } from '../net/sockets.js';

/**
 * A Janus remote publisher (`add_remote_publisher`, janus_videoroom.c's "vremote" thread): plain RTP
 * from another SFU arrives on one UDP socket, RTCP on another, and is fed to subscribers through the
 * same {@link FeedStream}s a werift publisher uses.
 *
 * - Demultiplexing by SSRC: `ssrc - 1000` = mindex*10 + substream (Janus's REMOTE_PUBLISHER_BASE_SSRC
 *   and _SSRC_STEP); anything else is dropped and counted.
 * - The SSRC is shifted by a random per-publisher offset before the feed sees it (Janus #3447).
 * - Keyframe requests go back as RTCP PLIs (with the sender's original SSRC) to the address latched
 *   from the first packet seen on the RTCP socket (the far side's forwarder latches it).
 * - Loss on the link: per incoming video SSRC the highest sequence number is kept; a packet after a
 *   gap of 1..{@link MAX_NACK_GAP} sends one generic NACK for the missing ones to the same address
 *   (our forwarders with `nack` resend them; a real Janus ignores it). Late packets (retransmitted or
 *   reordered) are fed on like any other: subscriber legs rewrite them in place.
 * - Data streams arrive as fake RTP: a 12-byte header (payload type 1 = binary) and the message. Each
 *   data stream has its own SSRC (and, with `bufferMessage`, its own kept message); all of them reach
 *   the subscribers of the first one, as on a mountpoint's relay (a subscriber has one DataChannel).
 * - SRTP (`srtp_suite`/`srtp_crypto`, Janus #3449): packets are decrypted with werift's SRTP before
 *   demultiplexing; packets failing authentication are dropped. werift has no _32 profile, so only
 *   suite 80 is accepted (467 otherwise).
 */

export const REMOTE_BASE_SSRC = 1000;
export const REMOTE_SSRC_STEP = 10;
/** Larger gaps are not NACKed (an outage or a restarted sender: a keyframe request repairs that). */
export const MAX_NACK_GAP = 64;
/** A packet this far behind the highest one is a restarted sender, not a late packet. */
const RESYNC_BEHIND = 1024;
/** SSRC slots: mindex 0..99 (the schema's bound) times 10 layers. */
const SSRC_SLOTS = 100 * REMOTE_SSRC_STEP;
/** Sender SSRC of our RTCP feedback (as in the PLIs). */
const FEEDBACK_SSRC = 1;

/** Payload types offered to subscribers for a remote codec (the sender's own types are not known). */
const PAYLOAD_TYPES: Record<string, number> = {
  opus: 111,
  pcmu: 0,
  pcma: 8,
  g722: 9,
  vp8: 96,
  vp9: 98,
  h264: 102,
  av1: 45,
};

/** The codec offered to subscribers for a remote (or mountpoint) stream; 467 when unknown. */
export function codecFor(type: 'audio' | 'video', name: string): RTCRtpCodecParameters {
  const wanted = name.toLowerCase();
  const base = sfuCodecs[type].find((c) => c.mimeType.split('/')[1]!.toLowerCase() === wanted);
  if (!base) throw new RelayError(467, `Unsupported ${type} codec ${name}`);
  return new RTCRtpCodecParameters({
    mimeType: base.mimeType,
    clockRate: base.clockRate,
    channels: base.channels,
    payloadType: PAYLOAD_TYPES[wanted],
    parameters: base.parameters,
    rtcpFeedback: base.rtcpFeedback,
  });
}

/** Fills a reusable RtpPacket-shaped object from a datagram; false when it is not RTP. */
export function parseRtp(msg: Buffer, out: ReusablePacket): boolean {
  if (msg.length < 12 || msg[0]! >> 6 !== 2) return false;
  let off = 12 + (msg[0]! & 0x0f) * 4;
  let end = msg.length;
  if (msg[0]! & 0x10) {
    if (off + 4 > end) return false;
    off += 4 + msg.readUInt16BE(off + 2) * 4;
  }
  if (msg[0]! & 0x20) end -= msg[end - 1]!;
  if (off > end) return false;
  const h = out.header;
  h.marker = (msg[1]! & 0x80) !== 0;
  h.payloadType = msg[1]! & 0x7f;
  h.sequenceNumber = msg.readUInt16BE(2);
  h.timestamp = msg.readUInt32BE(4);
  h.ssrc = msg.readUInt32BE(8);
  out.payload = msg.subarray(off, end);
  return true;
}

export interface ReusablePacket {
  header: {
    marker: boolean;
    payloadType: number;
    sequenceNumber: number;
    timestamp: number;
    ssrc: number;
    extensions: never[];
  };
  payload: Buffer;
}

export class RemotePublisher implements FeedSource {
  readonly feeds = new Map<string, FeedStream>();
  /** Subscribers of its data: every data stream's messages reach them. */
  readonly dataSinks = new Set<DataSink>();
  /** The data stream subscribers name: the first enabled one by mindex. */
  dataMid: string | undefined;
  /** Its data streams by mid, each with its own forwarders and kept message (`bufferMessage`). */
  private readonly dataStreams = new Map<string, DataFanout>();
  closed = false;
  /** Stream slot by mindex: a feed, a data stream, or nothing. */
  private byMindex: Array<FeedStream | DataFanout | undefined> = [];
  private streams: SfuPublisherStream[] = [];
  private rtcpPeer: { address: string; port: number } | undefined;
  private readonly pkt: ReusablePacket = {
    header: { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, extensions: [] },
    payload: Buffer.alloc(0),
  };
  private readonly pli = Buffer.alloc(12);
  readonly ssrcOffset = randomInt(1, 0x7fff) * 0x10000;
  readonly counters = {
    packetsIn: 0,
    bytesIn: 0,
    dropped: 0,
    dataIn: 0,
    plisOut: 0,
    rtcpIn: 0,
    srtpFailures: 0,
    nacksOut: 0,
    nackedPackets: 0,
  };
  /** Highest sequence number seen per video SSRC slot (ssrc - 1000), -1 = none yet. */
  private readonly maxSeq = new Int32Array(SSRC_SLOTS).fill(-1);
  private srtp: SrtpSession | undefined;
  /** RTP forwarders of this remote publisher (rtp_forward, or publish_remotely further on: A → B → C). */
  readonly forwarders: PublisherForwarders;

  constructor(
    readonly key: string,
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    streams: SfuRemoteStream[],
    private readonly log: Logger,
    srtp: { suite: 32 | 80; crypto: string } | undefined,
    net: ForwarderNetwork,
  ) {
    this.setSrtp(srtp);
    this.forwarders = new PublisherForwarders(this, net, log);
    this.pli[0] = 0x81; // V=2, FMT=1 (PLI)
    this.pli[1] = 206; // PSFB
    this.pli.writeUInt16BE(2, 2);
    this.pli.writeUInt32BE(FEEDBACK_SSRC, 4);
    this.update(streams);
    rtp.on('message', (msg: Buffer) => this.onRtp(msg));
    rtcp.on('message', (msg: Buffer, from: RemoteInfo) => this.onRtcp(from));
  }

  get port(): number {
    return this.rtp.address().port;
  }
  get rtcpPort(): number {
    return this.rtcp.address().port;
  }

  /** Sets (or replaces) the SRTP key the sender encrypts with. */
  setSrtp(srtp: { suite: 32 | 80; crypto: string } | undefined): void {
    if (!srtp) return;
    if (srtp.suite !== 80)
      throw new RelayError(467, 'Only SRTP suite 80 (AES_CM_128_HMAC_SHA1_80) is supported for remote publishers');
    const k = parseSrtpCrypto(srtp.suite, srtp.crypto);
    const keys = { localMasterKey: k.key, localMasterSalt: k.salt, remoteMasterKey: k.key, remoteMasterSalt: k.salt };
    this.srtp = new SrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
  }

  /** Adds new streams and changes known ones (by mid); returns the full stream list. */
  update(specs: SfuRemoteStream[]): SfuPublisherStream[] {
    for (const s of specs) {
      if ((s.type === 'audio' || s.type === 'video') && !s.disabled && !s.codec)
        throw new RelayError(456, `Missing mandatory element (codec of stream ${s.mid})`);
      if (s.type !== 'data' && s.codec) codecFor(s.type, s.codec);
    }
    for (const s of specs) {
      const old = this.byMindex.findIndex((x) => x?.mid === s.mid);
      if (old >= 0 && old !== s.mindex) this.byMindex[old] = undefined;
      if (s.type === 'data') {
        let data = this.dataStreams.get(s.mid);
        if (!data) {
          data = new DataFanout(s.mid, this.dataSinks, false);
          this.dataStreams.set(s.mid, data);
        }
        // a Streaming mountpoint's cascade keeps each stream's last message for the viewers of this relay too
        data.keep = s.bufferMessage === true;
        this.byMindex[s.mindex] = s.disabled ? undefined : data;
      } else {
        this.dataStreams.get(s.mid)?.clear();
        this.dataStreams.delete(s.mid);
        let feed = this.feeds.get(s.mid);
        if (!feed || feed.kind !== s.type) {
          feed?.close();
          const plis = (ssrcs: readonly number[]) => this.sendPlis(ssrcs);
          // a Streaming mountpoint's cascade keeps its keyframe for the viewers of this relay too
          feed = s.bufferKeyframe
            ? new BufferedFeed(this.key, s.mid, s.type, s.mindex, plis, true)
            : new FeedStream(this.key, s.mid, s.type, s.mindex, plis);
          this.feeds.set(s.mid, feed);
        }
        feed.mindex = s.mindex;
        const codec = s.codec ? codecFor(s.type, s.codec) : undefined;
        if (codec && s.fmtp) codec.parameters = s.fmtp;
        feed.configure(
          s.disabled ? undefined : codec,
          s.simulcast && s.type === 'video' ? ['l', 'm', 'h'] : [],
          s.disabled === true,
          s.disabled !== true,
        );
        feed.svc = s.svc === true && feed.codecName === 'vp9';
        this.byMindex[s.mindex] = feed;
      }
      // the slot may be fed by another sender now: start its loss tracking afresh
      this.maxSeq.fill(-1, s.mindex * REMOTE_SSRC_STEP, (s.mindex + 1) * REMOTE_SSRC_STEP);
      const entry: SfuPublisherStream = { type: s.type, mindex: s.mindex, mid: s.mid };
      if (s.codec && s.type !== 'data') entry.codec = s.codec.toLowerCase();
      if (s.simulcast && s.type === 'video') entry.simulcast = true;
      if (s.disabled) entry.disabled = true;
      this.streams = [...this.streams.filter((x) => x.mid !== s.mid), entry].sort((a, b) => a.mindex - b.mindex);
    }
    const data = this.streams.filter((x) => x.type === 'data');
    this.dataMid = (data.find((x) => !x.disabled) ?? data[0])?.mid;
    return this.streams;
  }

  // ---- the packet path ------------------------------------------------------------------------

  private onRtp(msg: Buffer): void {
    if (this.closed) return;
    if (this.srtp) {
      try {
        msg = this.srtp.decrypt(msg);
      } catch {
        this.counters.srtpFailures++;
        return;
      }
    }
    const pkt = this.pkt;
    if (!parseRtp(msg, pkt)) {
      this.counters.dropped++;
      return;
    }
    const diff = pkt.header.ssrc - REMOTE_BASE_SSRC;
    const slot = diff >= 0 ? this.byMindex[(diff / REMOTE_SSRC_STEP) | 0] : undefined;
    if (slot === undefined) {
      this.counters.dropped++;
      return;
    }
    this.counters.packetsIn++;
    this.counters.bytesIn += msg.length;
    if (!(slot instanceof FeedStream)) {
      this.onData(slot, msg, pkt.header.payloadType !== 0);
      return;
    }
    const layer = diff % REMOTE_SSRC_STEP;
    if (layer >= slot.layers) {
      this.counters.dropped++;
      return;
    }
    if (slot.kind === 'video') this.trackLoss(diff, pkt.header.sequenceNumber);
    pkt.header.ssrc = (pkt.header.ssrc + this.ssrcOffset) >>> 0;
    slot.onRtp(layer, pkt as unknown as RtpPacket);
  }

  /** Loss detection on one incoming SSRC (`slot` = ssrc - 1000); allocates only when it NACKs. */
  private trackLoss(slot: number, seq: number): void {
    const last = this.maxSeq[slot]!;
    if (last < 0) {
      this.maxSeq[slot] = seq;
      return;
    }
    const d = (seq - last) & 0xffff;
    if (d === 0) return;
    if (d < 0x8000) {
      this.maxSeq[slot] = seq;
      if (d > 1 && d <= MAX_NACK_GAP + 1) this.sendNack(REMOTE_BASE_SSRC + slot, (last + 1) & 0xffff, d - 1);
    } else if (0x10000 - d > RESYNC_BEHIND) this.maxSeq[slot] = seq;
  }

  /** One generic NACK for `count` packets from `first`, to the latched RTCP address. */
  private sendNack(ssrc: number, first: number, count: number): void {
    const to = this.rtcpPeer;
    if (!to || this.closed) return;
    this.rtcp.send(buildNack(FEEDBACK_SSRC, ssrc, seqRange(first, count))!, to.port, to.address);
    this.counters.nacksOut++;
    this.counters.nackedPackets += count;
  }

  private onData(data: DataFanout, msg: Buffer, binary: boolean): void {
    this.counters.dataIn++;
    // a kept message is kept even before anyone subscribes (a cascade opens before its first viewer)
    if (!data.keeping && !data.heard) return;
    const body = msg.subarray(12);
    if (!binary) data.deliver(body.toString('utf8'));
    // kept beyond this datagram: a copy, not a view of the socket's buffer
    else data.deliver(data.keeping ? Buffer.from(body) : body);
  }

  /** A forwarder of data stream `mid` (a cascade further on) carries that stream's messages only. */
  dataForwardSinks(mid: string): Set<DataSink> | undefined {
    return this.dataStreams.get(mid)?.forwarders;
  }

  /** Latches the far side's RTCP address from the first packet on the RTCP port (Janus's `rtcp_addr`). */
  private onRtcp(from: RemoteInfo): void {
    this.counters.rtcpIn++;
    if (!this.rtcpPeer) this.rtcpPeer = { address: from.address, port: from.port };
  }

  /** A feed wants a keyframe: one PLI per layer to the latched RTCP address, with the sender's SSRCs. */
  private sendPlis(ssrcs: readonly number[]): void {
    const to = this.rtcpPeer;
    if (!to || this.closed) return;
    for (const s of ssrcs) {
      const pli = Buffer.from(this.pli);
      pli.writeUInt32BE((s - this.ssrcOffset) >>> 0, 8);
      this.rtcp.send(pli, to.port, to.address);
      this.counters.plisOut++;
    }
  }

  /** Deferred keyframe requests (hub ticker). */
  tick(now: number): void {
    for (const feed of this.feeds.values()) feed.tick(now);
    for (const data of this.dataStreams.values()) data.tick();
  }

  info(): Record<string, unknown> {
    return {
      key: this.key,
      port: this.port,
      rtcpPort: this.rtcpPort,
      latched: this.rtcpPeer ?? null,
      streams: this.streams,
      feeds: [...this.feeds.values()].map((f) => ({
        mid: f.mid,
        codec: f.codecName,
        layers: f.layers,
        packetsIn: f.packetsIn,
        subscribers: f.legs.length,
        plisOut: f.plisOut,
      })),
      forwarders: this.forwarders.info(),
      ...this.counters,
    };
  }

  /** Closes both sockets (their ports return to the pool) and quiets the subscribers' legs. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeQuietly(this.rtp);
    closeQuietly(this.rtcp);
    this.forwarders.closeAll();
    for (const feed of this.feeds.values()) feed.close();
    for (const data of this.dataStreams.values()) data.clear();
    this.dataSinks.clear();
    this.log.debug('remote publisher closed', { key: this.key, ...this.counters });
  }
}
