import type { Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import type { SfuForwarderInfo, SfuForwardStream } from '../../shared/control/sfu.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import { closeQuietly, openForwardSocket } from '../net/sockets.js';
import type { FeedStream } from './feed.js';
import { parseSrtpCrypto, RtpForwarder } from './forwarder.js';
import type { DataSink } from './outputs.js';
import { hasKeyframeRequest, parseRtcpFeedback } from './rtcp.js';

/**
 * The RTP forwarders of one publisher (Janus `rtp_forward`, see relay/sfu/forwarder.ts): created and
 * removed by `sfu.forward` / `sfu.stopForward`, one shared UDP socket for all of them, and the
 * dispatch of what arrives on their RTCP sockets.
 */

/** What a publisher offers its forwarders. */
export interface ForwardSource {
  readonly feeds: ReadonlyMap<string, FeedStream>;
  /** The sinks a forwarder of data stream `mid` joins (they get that stream's messages); undefined: no such data stream. */
  dataForwardSinks(mid: string): Set<DataSink> | undefined;
}

export interface ForwarderNetwork {
  bindAddress: string;
  ports: PortPool;
}

/** The forwarders of one publisher and their shared UDP socket. */
export class PublisherForwarders {
  private sock: Socket | undefined;
  private readonly list = new Map<number, RtpForwarder>();
  /** The data sinks each data forwarder joined, to leave them when it goes. */
  private readonly dataSinksOf = new Map<RtpForwarder, Set<DataSink>>();
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
  async add(
    streams: SfuForwardStream[],
    srtp: { suite: 32 | 80; crypto: string } | undefined,
  ): Promise<SfuForwarderInfo[]> {
    const src = this.source;
    const plan = streams.map((s) => {
      const feed = src.feeds.get(s.mid);
      if (feed) return { s, feed, data: undefined, type: feed.kind as 'audio' | 'video' | 'data' };
      const data = src.dataForwardSinks(s.mid);
      if (data) return { s, feed: undefined, data, type: 'data' as const };
      throw new RelayError(Codes.INVALID_STREAM, `No such publisher stream ${s.mid}`);
    });
    const key = srtp ? parseSrtpCrypto(srtp.suite, srtp.crypto) : undefined;
    const hosts = new Map<string, string>();
    for (const s of streams) if (!hosts.has(s.host)) hosts.set(s.host, await resolveHost(s.host));

    const opened: Socket[] = [];
    const release = () => {
      for (const s of opened) closeQuietly(s);
      if (this.list.size === 0 && this.sock) {
        closeQuietly(this.sock);
        this.sock = undefined;
      }
    };
    const rtcp: Array<Socket | undefined> = [];
    try {
      if (!this.sock && !this.closed)
        this.sock = await openForwardSocket(this.net.ports, this.net.bindAddress, this.log);
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
    plan.forEach(({ s, feed, data, type }, i) => {
      const host = hosts.get(s.host)!;
      const f = new RtpForwarder(this.sock!, s.mid, type, feed, host, s.port, s.rtcp_port || undefined, s, key);
      this.list.set(f.id, f);
      const r = rtcp[i];
      if (r) f.attachRtcp(r, (msg) => this.onRtcp(f, msg));
      if (feed) {
        feed.addTap(f);
        feed.requestKeyframe();
      } else if (data) {
        data.add(f);
        this.dataSinksOf.set(f, data);
      }
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
      closeQuietly(this.sock);
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
    for (const f of this.list.values())
      if (f.feed && f.ssrc === ssrc && f.port === at.port && f.host === at.host) return f;
    return undefined;
  }

  private drop(f: RtpForwarder): void {
    f.close();
    this.dataSinksOf.get(f)?.delete(f);
    this.dataSinksOf.delete(f);
    this.list.delete(f.id);
  }

  /** The publisher is closing: every forwarder and socket goes. */
  closeAll(): void {
    this.closed = true;
    for (const f of [...this.list.values()]) this.drop(f);
    if (this.sock) closeQuietly(this.sock);
    this.sock = undefined;
  }

  info(): Array<
    SfuForwarderInfo & { packetsOut: number; bytesOut: number; plisIn: number; nacksIn: number; retransmitted: number }
  > {
    return [...this.list.values()].map((f) => ({
      ...f.info(),
      packetsOut: f.packetsOut,
      bytesOut: f.bytesOut,
      plisIn: f.plisIn,
      nacksIn: f.nacksIn,
      retransmitted: f.retransmitted,
    }));
  }
}

async function resolveHost(host: string): Promise<string> {
  if (isIPv4(host)) return host;
  if (isIP(host) === 6)
    throw new RelayError(467, 'Attempt to create an IPv6 forwarder, but IPv6 networking is not available');
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    throw new RelayError(467, `Could not resolve address (${host})`);
  }
}
