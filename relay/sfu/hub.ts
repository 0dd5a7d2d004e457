import { stopRemoteRecording, type EmitPeerEvent } from '../cascade/remoteRecording.js';
import {
  VIDEOROOM_PLUGIN,
  type SfuOptions,
  type SfuPublisherStream,
  type SfuRemoteStream,
} from '../../shared/control/sfu.js';
import { RemotePublisher } from '../cascade/remotePublisher.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import { closeQuietly, openPooledSocket } from '../net/sockets.js';
import type { PeerNetwork } from '../peer/factory.js';
import type { PeerTable } from '../peer/table.js';
import type { FeedSource } from './feed.js';
import type { PublisherForwarders } from './forward.js';
import { SfuPublisher } from './publisher.js';
import { SfuSubscriber, type FeedLookup } from './subscriber.js';

export type SfuPeer = SfuPublisher | SfuSubscriber;

/** A feed source that is neither a peer nor a remote publisher (a Streaming mountpoint): found and forwarded like them. */
export interface AddedFeedSource extends FeedSource {
  readonly forwarders: PublisherForwarders;
  tick(now: number): void;
}

export interface SfuHubOptions {
  network: PeerNetwork;
  logger: Logger;
  /** The media port range: remote publishers' and forwarders' RTP/RTCP sockets. */
  remotePorts: PortPool;
  /** Events of remote publishers (their recordings closing), sent under their key like a peer's. */
  emit?: EmitPeerEvent;
}

/**
 * The relay's VideoRoom: makes its peers (kept in the relay's peer table, where publishers are found
 * by their key, the `feedKey` of subscriptions) and holds the remote publishers (relay/cascade),
 * which live beside the peers under the feed key the edge gave them, so subscribers find either kind
 * the same way.
 */
export class SfuHub implements FeedLookup {
  private readonly remotes = new Map<string, RemotePublisher>();
  /** Other plugins' sources subscribers may watch (Streaming mountpoints), by feed key. */
  private readonly added = new Map<string, AddedFeedSource>();
  /** Keys of remote publishers whose sockets are being opened (a duplicate add is refused meanwhile). */
  private readonly opening = new Set<string>();
  /** Told when any source goes (relay threads forget their mirror of it). */
  private readonly goneListeners: Array<(key: string) => void> = [];

  constructor(
    private readonly peers: PeerTable,
    private readonly opts: SfuHubOptions,
  ) {
    peers.onTick((now) => {
      for (const r of this.remotes.values()) r.tick(now);
      for (const a of this.added.values()) a.tick(now);
    });
  }

  /** Live VideoRoom peers. */
  get size(): number {
    return this.peers.count(VIDEOROOM_PLUGIN);
  }

  get(key: string): SfuPeer | undefined {
    const p = this.peers.get(key);
    return p instanceof SfuPublisher || p instanceof SfuSubscriber ? p : undefined;
  }

  /** A feed source by feed key: a werift publisher or a remote publisher. */
  publisher(key: string): FeedSource | undefined {
    const p = this.peers.get(key);
    if (p instanceof SfuPublisher && !p.closed) return p;
    const r = this.remotes.get(key) ?? this.added.get(key);
    return r && !r.closed ? r : undefined;
  }

  /** Whatever forwards under a key that is no peer: a remote publisher or an added source. */
  forwardable(key: string): { forwarders: PublisherForwarders } | undefined {
    return this.remotes.get(key) ?? this.added.get(key);
  }

  /** Adds a source subscribers find by its key (466 when the key is taken). */
  addSource(source: AddedFeedSource): void {
    const key = source.key;
    if (this.get(key) || this.remotes.has(key) || this.opening.has(key) || this.added.has(key))
      throw new RelayError(Codes.INVALID_STREAM, `Feed ${key} already exists`);
    this.added.set(key, source);
  }

  /** Removes an added source: its subscribers' legs go quiet, as for a publisher that left. */
  removeSource(key: string): void {
    const source = this.added.get(key);
    if (!source) return;
    this.added.delete(key);
    this.publisherGone(source);
  }

  get remoteCount(): number {
    return this.remotes.size;
  }

  /** Where remote publishers' events go (none in tests that build a hub without a relay). */
  emitter(): EmitPeerEvent {
    return this.opts.emit ?? (() => undefined);
  }

  remote(key: string): RemotePublisher | undefined {
    return this.remotes.get(key);
  }

  /** `sfu.remoteAdd`: opens the RTP then the RTCP socket; whatever was opened is closed if a step fails. */
  async addRemote(
    key: string,
    streams: SfuRemoteStream[],
    ports: { port?: number; rtcp_port?: number },
    srtp?: { suite: 32 | 80; crypto: string },
  ): Promise<{ ip: string; port: number; rtcp_port: number; streams: SfuPublisherStream[] }> {
    if (this.get(key) || this.remotes.has(key) || this.opening.has(key) || this.added.has(key))
      throw new RelayError(Codes.INVALID_STREAM, `Feed ${key} already exists`);
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
      log.info('remote publisher added', { key, port: remote.port, rtcpPort: remote.rtcpPort });
      return {
        ip: this.opts.network.announcedAddress,
        port: remote.port,
        rtcp_port: remote.rtcpPort,
        streams: remote.update([]),
      };
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
    // Its files are flushed and reported after the sockets close (the one way a remote publisher goes).
    void stopRemoteRecording(r).catch((err: unknown) =>
      this.opts.logger.warn('remote publisher recording did not close cleanly', { key, error: String(err) }),
    );
    r.close();
    this.publisherGone(r);
    return true;
  }

  /** Relay shutdown: every remote publisher goes. */
  removeAllRemotes(): void {
    for (const key of [...this.remotes.keys()]) this.removeRemote(key);
  }

  create(sessionId: number, handleId: number, options: SfuOptions): SfuPeer {
    const ctx = { room: options.room, mediaPorts: this.opts.remotePorts };
    return this.peers.add<SfuPeer>(
      sessionId,
      handleId,
      options.trickle ?? false,
      (deps) =>
        options.role === 'publisher' ? new SfuPublisher(deps, ctx, options) : new SfuSubscriber(deps, ctx, this),
      (peer) => {
        if (peer instanceof SfuPublisher) this.publisherGone(peer);
      },
    );
  }

  /** Runs `listener` with the key of every source that goes (a publisher, a remote publisher, an added source). */
  onSourceGone(listener: (key: string) => void): void {
    this.goneListeners.push(listener);
  }

  private publisherGone(pub: FeedSource): void {
    for (const p of this.peers.values()) if (p instanceof SfuSubscriber) p.publisherGone(pub);
    for (const l of this.goneListeners) l(pub.key);
  }
}
