import type { PeerEvent } from '../../shared/control/events.js';
import type { SfuOptions, SfuPublisherStream, SfuRemoteStream } from '../../shared/control/sfu.js';
import { RemotePublisher } from '../cascade/remotePublisher.js';
import { closeQuietly, openPooledSocket } from '../net/sockets.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import type { PeerNetwork } from '../peer/werift.js';
import type { FeedSource } from './feed.js';
import type { SfuPeerBase } from './peer.js';
import { SfuPublisher } from './publisher.js';
import { SfuSubscriber } from './subscriber.js';

export type SfuPeer = SfuPublisher | SfuSubscriber;

export interface SfuHubOptions {
  network: PeerNetwork;
  logger: Logger;
  noMediaTimerSec: number;
  /** The media port range: remote publishers' and forwarders' RTP/RTCP sockets. */
  remotePorts: PortPool;
  emit(sessionId: number, handleId: number, event: PeerEvent): void;
}

const TICK_MS = 250;

/**
 * The relay's VideoRoom peers keyed by `${sessionId}:${handleId}` (publishers are found by that key,
 * the `feedKey` of subscriptions), and one ticker for all of them (deferred keyframe requests, REMB,
 * media events, sender reports, setup timeouts). Remote publishers (relay/cascade) live beside the
 * peers under the feed key the edge gave them, so subscribers find either kind the same way.
 */
export class SfuHub {
  private readonly peers = new Map<string, SfuPeer>();
  private readonly remotes = new Map<string, RemotePublisher>();
  /** Keys of remote publishers whose sockets are being opened (a duplicate add is refused meanwhile). */
  private readonly opening = new Set<string>();
  private readonly closing = new Set<Promise<void>>();
  private ticker: NodeJS.Timeout | undefined;
  private ticks = 0;
  created = 0;

  constructor(private readonly opts: SfuHubOptions) {}

  get size(): number {
    return this.peers.size;
  }

  get(key: string): SfuPeer | undefined {
    return this.peers.get(key);
  }

  /** A feed source by feed key: a werift publisher or a remote publisher. */
  publisher(key: string): FeedSource | undefined {
    const p = this.peers.get(key);
    if (p instanceof SfuPublisher && !p.closed) return p;
    const r = this.remotes.get(key);
    return r && !r.closed ? r : undefined;
  }

  get remoteCount(): number {
    return this.remotes.size;
  }

  remote(key: string): RemotePublisher | undefined {
    return this.remotes.get(key);
  }

  /** `sfu.remoteAdd`: opens the RTP then the RTCP socket; whatever was opened is closed if a step fails. */
  async addRemote(key: string, streams: SfuRemoteStream[], ports: { port?: number; rtcp_port?: number }, srtp?: { suite: 32 | 80; crypto: string }): Promise<{ ip: string; port: number; rtcp_port: number; streams: SfuPublisherStream[] }> {
    if (this.peers.has(key) || this.remotes.has(key) || this.opening.has(key)) throw new RelayError(Codes.INVALID_STREAM, `Feed ${key} already exists`);
    this.opening.add(key);
    const pool = this.opts.remotePorts;
    const log = this.opts.logger;
    let rtp: Awaited<ReturnType<typeof openPooledSocket>> | undefined;
    let rtcp: typeof rtp;
    try {
      const bind = this.opts.network.bindAddress;
      rtp = await openPooledSocket(pool, bind, log, { kind: 'remote publisher', port: ports.port });
      rtcp = await openPooledSocket(pool, bind, log, { kind: 'remote publisher', port: ports.rtcp_port });
      const remote = new RemotePublisher(key, rtp, rtcp, streams, log, srtp, { bindAddress: bind, ports: pool });
      this.remotes.set(key, remote);
      this.start();
      log.info('remote publisher added', { key, port: remote.port, rtcpPort: remote.rtcpPort });
      return { ip: this.opts.network.announcedAddress, port: remote.port, rtcp_port: remote.rtcpPort, streams: remote.update([]) };
    } catch (err) {
      closeQuietly(rtp);
      closeQuietly(rtcp);
      throw err;
    } finally {
      this.opening.delete(key);
    }
  }

  /** `sfu.remoteRemove` (and room teardown): sockets closed, subscribers' legs quieted. */
  removeRemote(key: string): boolean {
    const r = this.remotes.get(key);
    if (!r) return false;
    this.remotes.delete(key);
    r.close();
    for (const p of this.peers.values()) if (p instanceof SfuSubscriber) p.publisherGone(r);
    return true;
  }

  start(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  create(sessionId: number, handleId: number, options: SfuOptions): SfuPeer {
    const key = `${sessionId}:${handleId}`;
    const deps = {
      sessionId,
      handleId,
      room: options.room,
      network: this.opts.network,
      mediaPorts: this.opts.remotePorts,
      logger: this.opts.logger,
      trickle: options.trickle ?? false,
      emit: (event: PeerEvent) => this.opts.emit(sessionId, handleId, event),
      onClosing: (p: SfuPeerBase) => this.onClosing(key, p),
    };
    const peer = options.role === 'publisher' ? new SfuPublisher(deps, options) : new SfuSubscriber(deps, this);
    this.peers.set(key, peer);
    this.created++;
    this.start();
    return peer;
  }

  private onClosing(key: string, peer: SfuPeerBase): void {
    if (this.peers.get(key) === peer) this.peers.delete(key);
    if (peer instanceof SfuPublisher) {
      for (const p of this.peers.values()) if (p instanceof SfuSubscriber) p.publisherGone(peer);
    }
  }

  /** Hangs a peer up and tracks its teardown so {@link closeAll} can wait for it. */
  hangup(peer: SfuPeer, reason: string, opts?: { notifyEdge?: boolean; notifyClient?: boolean }): Promise<void> {
    const p = peer.hangup(reason, opts);
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
    return p;
  }

  async closeAll(reason: string): Promise<void> {
    for (const p of [...this.peers.values()]) void this.hangup(p, reason);
    for (const key of [...this.remotes.keys()]) this.removeRemote(key);
    await Promise.allSettled([...this.closing]);
    this.stop();
  }

  private tick(): void {
    this.ticks++;
    const now = Date.now();
    const everySecond = this.ticks % (1000 / TICK_MS) === 0;
    const noMediaMs = this.opts.noMediaTimerSec * 1000;
    for (const p of this.peers.values()) {
      try {
        p.tick(now, noMediaMs, everySecond);
      } catch (err) {
        this.opts.logger.warn('sfu peer tick failed', { peer: p.key, err });
      }
    }
    for (const r of this.remotes.values()) r.tick(now);
  }
}
