import type { RemoteInfo, Socket } from 'node:dgram';
import type { RTCRtpCodecParameters, RtpPacket } from 'werift';
import type { StreamingData, StreamingMedia } from '../../shared/control/streaming.js';
import { codecFor, parseRtp, type ReusablePacket } from '../cascade/remotePublisher.js';
import type { Logger } from '../logger.js';
import { closeQuietly } from '../net/sockets.js';
import { PublisherForwarders, type ForwarderNetwork } from '../sfu/forward.js';
import type { FeedStream } from '../sfu/feed.js';
import type { AddedFeedSource } from '../sfu/hub.js';
import type { DataSink } from '../sfu/outputs.js';
import { BufferedFeed } from '../sfu/bufferedFeed.js';
import type { SrtpKey } from '../sfu/forwarder.js';
import { MountpointDataStream } from './dataStream.js';
import { feedbackProtector, ingestUnprotector, type IngestUnprotect } from './srtpIngest.js';
import { MountpointRecordings } from './recording.js';

/** Sender SSRC of our keyframe requests. */
const FEEDBACK_SSRC = 1;

/** The codec viewers are offered: ours, with the mountpoint's own `fmtp` when it has one. */
function mountCodec(m: StreamingMedia): RTCRtpCodecParameters {
  const codec = codecFor(m.type, m.codec);
  if (m.fmtp !== undefined) codec.parameters = m.fmtp;
  return codec;
}

/** One stream's sockets, as the mountpoint opened them. */
export interface StreamSockets {
  rtp: Socket;
  rtcp?: Socket;
  /** Simulcast: the higher substreams' sockets (`port2`, `port3`), lowest first. */
  layers: Socket[];
}

/** Simulcast substreams by rank, lowest first (relay/sfu/feed.ts ranks these names). */
const LAYER_RIDS = ['l', 'm', 'h'];

/**
 * A Janus RTP mountpoint on this relay (janus_streaming.c's `rtp` type): each stream's plain RTP
 * arrives on its own UDP port, whatever its SSRC or payload type, and is fanned out to viewers (SFU
 * subscriber legs, which rewrite SSRC, sequence numbers and timestamps and send with the negotiated
 * payload type) and to forwarders (cascades to other relays) through the same {@link FeedStream}s a
 * publisher has. With an RTCP port, the sender's address is latched from what arrives there and
 * keyframe requests go back to it as PLIs
 * (SRTCP under the mountpoint's key when it is SRTP).
 */
export class Mountpoint implements AddedFeedSource {
  readonly feeds = new Map<string, FeedStream>();
  readonly dataSinks = new Set<DataSink>();
  /** The first data stream's mid: the one viewers subscribe to; every data stream's messages reach its sinks. */
  dataMid: string | undefined;
  /** Its data streams (Janus `type: data`), each on its own port. */
  private readonly data: Array<{ stream: MountpointDataStream; socket: Socket }> = [];
  readonly forwarders: PublisherForwarders;
  /** Its streams' `.mjr` recordings (`streaming.record`). */
  readonly recordings: MountpointRecordings;
  closed = false;
  /** Run once when it closes (an RTSP mountpoint's source sends TEARDOWN). */
  readonly onClose: Array<() => void> = [];
  /** Where keyframe requests go when no RTCP address was latched (an RTSP source over TCP). */
  feedback?: (mid: string, rtcp: Buffer) => void;
  private readonly streams: Array<{ media: StreamingMedia; feed: BufferedFeed; sockets: StreamSockets }> = [];
  private readonly lastRx = new Map<string, number>();
  /** Datagrams of each stream dropped: not RTP, or failing SRTP authentication. */
  private readonly droppedByMid = new Map<string, number>();
  private readonly pkt: ReusablePacket = {
    header: { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, extensions: [] },
    payload: Buffer.alloc(0),
  };
  readonly counters = { packetsIn: 0, bytesIn: 0, dropped: 0, plisOut: 0 };

  constructor(
    readonly key: string,
    media: StreamingMedia[],
    sockets: StreamSockets[],
    net: ForwarderNetwork,
    private readonly log: Logger,
    srtp?: SrtpKey,
  ) {
    this.forwarders = new PublisherForwarders(this, net, log);
    this.recordings = new MountpointRecordings(this.feeds, log);
    media.forEach((m, i) => {
      const s = sockets[i]!;
      let latched: { address: string; port: number } | undefined;
      const protect = srtp && s.rtcp ? feedbackProtector(srtp) : undefined;
      const feed = new BufferedFeed(
        key,
        m.mid,
        m.type,
        m.mindex,
        (ssrcs) => {
          const to = latched;
          if (to) this.sendPlis(ssrcs, (pli) => s.rtcp!.send(protect ? protect(pli) : pli, to.port, to.address));
          else if (this.feedback) this.sendPlis(ssrcs, (pli) => this.feedback?.(m.mid, pli));
        },
        // as Janus: no keyframe buffering with simulcast (a buffer holds one substream's GOP)
        s.layers.length === 0 && (m.bufferKeyframe ?? m.type === 'video'),
      );
      feed.configure(mountCodec(m), s.layers.length > 0 ? LAYER_RIDS.slice(0, s.layers.length + 1) : [], false, true);
      feed.svc = m.svc === true && m.codec === 'vp9';
      this.feeds.set(m.mid, feed);
      // Janus's age_ms counts from the mountpoint's creation until a first packet arrives
      this.lastRx.set(m.mid, Date.now());
      this.streams.push({ media: m, feed, sockets: s });
      const unprotect = srtp ? ingestUnprotector(srtp) : undefined;
      s.rtp.on('message', (msg: Buffer) => this.onRtp(m.mid, feed, msg, unprotect, 0));
      s.layers.forEach((socket, i) =>
        socket.on('message', (msg: Buffer) => this.onRtp(m.mid, feed, msg, unprotect, i + 1)),
      );
      s.rtcp?.on('message', (_msg: Buffer, from: RemoteInfo) => {
        latched ??= { address: from.address, port: from.port };
      });
    });
  }

  /** An RTP packet of stream `mid` that came another way than its socket (RTSP interleaved on TCP). */
  receiveRtp(mid: string, packet: Buffer): void {
    const feed = this.feeds.get(mid);
    if (feed instanceof BufferedFeed) this.onRtp(mid, feed, packet, undefined, 0);
  }

  /**
   * Adds a data stream: each datagram on `socket` goes to the viewers' DataChannels (all data streams
   * share the sinks: a viewer has one channel, as in Janus, where they all go to its default channel).
   */
  addData(data: StreamingData, socket: Socket): void {
    this.dataMid ??= data.mid;
    this.data.push({
      stream: new MountpointDataStream(data.mid, this.dataSinks, socket, data.binary, data.bufferMessage),
      socket,
    });
  }

  /** A cascade's forwarder of data stream `mid` carries that stream's messages only (the far relay keeps each one's last). */
  dataForwardSinks(mid: string): Set<DataSink> | undefined {
    return this.data.find((d) => d.stream.mid === mid)?.stream.fanout.forwarders;
  }

  /** Every stream's ports, in the order of `media`, then the data streams'. */
  ports(): Array<{ mid: string; port: number; rtcpport?: number }> {
    const media = this.streams.map(({ media, sockets }) => ({
      mid: media.mid,
      port: sockets.rtp.address().port,
      ...(sockets.rtcp ? { rtcpport: sockets.rtcp.address().port } : {}),
      ...(sockets.layers[0] ? { port2: sockets.layers[0].address().port } : {}),
      ...(sockets.layers[1] ? { port3: sockets.layers[1].address().port } : {}),
    }));
    return [...media, ...this.data.map((d) => ({ mid: d.stream.mid, port: d.socket.address().port }))];
  }

  private onRtp(
    mid: string,
    feed: BufferedFeed,
    datagram: Buffer,
    unprotect: IngestUnprotect | undefined,
    layer: number,
  ): void {
    if (this.closed) return;
    const msg = unprotect ? unprotect(datagram) : datagram;
    if (!msg) {
      this.drop(mid);
      return;
    }
    // The header object is reused; the payload is a view of this datagram, which a keyframe buffer may keep.
    const pkt = this.pkt;
    if (!parseRtp(msg, pkt)) {
      this.drop(mid);
      return;
    }
    this.counters.packetsIn++;
    this.counters.bytesIn += msg.length;
    this.lastRx.set(mid, Date.now());
    feed.onRtp(layer, pkt as unknown as RtpPacket);
  }

  private drop(mid: string): void {
    this.counters.dropped++;
    this.droppedByMid.set(mid, (this.droppedByMid.get(mid) ?? 0) + 1);
  }

  private sendPlis(ssrcs: readonly number[], send: (pli: Buffer) => void): void {
    if (this.closed) return;
    for (const ssrc of ssrcs) {
      const pli = Buffer.alloc(12);
      pli[0] = 0x81; // V=2, FMT=1 (PLI)
      pli[1] = 206; // PSFB
      pli.writeUInt16BE(2, 2);
      pli.writeUInt32BE(FEEDBACK_SSRC, 4);
      pli.writeUInt32BE(ssrc >>> 0, 8);
      send(pli);
      this.counters.plisOut++;
    }
  }

  tick(now: number): void {
    for (const feed of this.feeds.values()) feed.tick(now);
    for (const d of this.data) d.stream.tick();
  }

  info(now = Date.now()) {
    const dataInfo = this.data.map(({ stream }) => ({
      mid: stream.mid,
      packetsIn: stream.messagesIn,
      bytesIn: stream.bytesIn,
      ageMs: Math.max(0, now - stream.lastRxAt),
      viewers: this.dataSinks.size,
    }));
    return [...this.mediaInfo(now), ...dataInfo];
  }

  private mediaInfo(now: number) {
    return this.streams.map(({ media, feed }) => {
      return {
        mid: media.mid,
        packetsIn: feed.packetsIn,
        bytesIn: feed.bytesIn,
        ageMs: Math.max(0, now - (this.lastRx.get(media.mid) ?? now)),
        viewers: feed.legs.length,
        dropped: this.droppedByMid.get(media.mid) ?? 0,
      };
    });
  }

  /**
   * Closes every socket (ports back to the pool), the forwarders, and quiets the viewers' legs; the
   * returned promise resolves once its recordings are closed and reported.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const f of this.onClose.splice(0)) f();
    const recordingsClosed = this.recordings.close();
    for (const { sockets } of this.streams) {
      closeQuietly(sockets.rtp);
      closeQuietly(sockets.rtcp);
      for (const s of sockets.layers) closeQuietly(s);
    }
    for (const d of this.data) {
      d.stream.close();
      closeQuietly(d.socket);
    }
    this.forwarders.closeAll();
    for (const feed of this.feeds.values()) feed.close();
    this.log.debug('mountpoint closed', { key: this.key, ...this.counters });
    return recordingsClosed;
  }
}
