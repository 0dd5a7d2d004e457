import type { PeerEvent } from '../../shared/control/events.js';
import type { SfuOptions } from '../../shared/control/sfu.js';
import type { Logger } from '../logger.js';
import type { PeerNetwork } from '../werift.js';
import type { SfuPeerBase } from './peer.js';
import { SfuPublisher } from './publisher.js';
import { SfuSubscriber } from './subscriber.js';

export type SfuPeer = SfuPublisher | SfuSubscriber;

export interface SfuHubOptions {
  network: PeerNetwork;
  logger: Logger;
  noMediaTimerSec: number;
  emit(sessionId: number, handleId: number, event: PeerEvent): void;
}

const TICK_MS = 250;

/**
 * The relay's VideoRoom peers keyed by `${sessionId}:${handleId}` (publishers are found by that key,
 * the `feedKey` of subscriptions), and one ticker for all of them (deferred keyframe requests, REMB,
 * media events, sender reports, setup timeouts).
 */
export class SfuHub {
  private readonly peers = new Map<string, SfuPeer>();
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

  publisher(key: string): SfuPublisher | undefined {
    const p = this.peers.get(key);
    return p instanceof SfuPublisher && !p.closed ? p : undefined;
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
  }
}
