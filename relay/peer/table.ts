import type { PeerEvent } from '../../shared/control/events.js';
import type { ListedPeer } from '../../shared/control/messages.js';
import type { Logger } from '../logger.js';
import { addCounters, zeroCounters, type MediaCounters } from '../metrics.js';
import type { HangupOptions, PeerBase, PeerDeps } from './base.js';
import type { MediaSettings } from './mediaSettings.js';
import type { PeerNetwork } from './factory.js';

export interface PeerTableOptions {
  network: PeerNetwork;
  logger: Logger;
  /** The initial relay-wide media settings (`applySettings` changes them). */
  settings: MediaSettings;
  statsPeriodSec: number;
  /** How long a negotiated peer waits for the client's first ICE connectivity check. */
  iceStartTimeoutMs: number;
  emit(sessionId: number, handleId: number, event: PeerEvent): void;
}

/** The peers' ticker period; the event-loop lag is measured on it too. */
export const TICK_MS = 250;
const TICKS_PER_SECOND = 1000 / TICK_MS;

/** Periodic work beside the peers' own (e.g. the SFU's remote publishers, event-loop sampling). */
export type TickListener = (now: number, everySecond: boolean) => void;

/** The key of a Janus handle's peer: one PeerConnection per handle. */
export function peerKey(sessionId: number, handleId: number): string {
  return `${sessionId}:${handleId}`;
}

/**
 * Every live peer of the relay, whatever its plugin, keyed by `${sessionId}:${handleId}`: per-peer
 * command serialization, capacity counts, one ticker for all of them (media timers, stats, REMB,
 * keyframe requests, setup timeouts), teardown tracking, and the counters of peers already gone.
 */
export class PeerTable {
  private readonly peers = new Map<string, PeerBase>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly closing = new Set<Promise<void>>();
  private readonly gone: MediaCounters = zeroCounters();
  private readonly listeners: TickListener[] = [];
  private readonly createdBy = new Map<string, number>();
  private ticker: NodeJS.Timeout | undefined;
  private ticks = 0;
  created = 0;

  constructor(private readonly opts: PeerTableOptions) {}

  start(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Adds periodic work run after the peers' on every tick. */
  onTick(listener: TickListener): void {
    this.listeners.push(listener);
  }

  get size(): number {
    return this.peers.size;
  }

  /** The relay-wide media settings in effect (a relay thread started later gets them). */
  get settings(): MediaSettings {
    return this.opts.settings;
  }

  get(key: string): PeerBase | undefined {
    return this.peers.get(key);
  }

  values(): IterableIterator<PeerBase> {
    return this.peers.values();
  }

  keys(): IterableIterator<string> {
    return this.peers.keys();
  }

  /** Every live peer with its age (the edge's reconciliation). */
  list(now = Date.now()): ListedPeer[] {
    return [...this.peers.values()].map((p) => ({
      sessionId: p.sessionId,
      handleId: p.handleId,
      ageMs: Math.max(0, Math.round(now - p.createdAt)),
    }));
  }

  /** Live peers of one plugin. */
  count(plugin: string): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.plugin === plugin) n++;
    return n;
  }

  /** Peers of one plugin created since start. */
  createdOf(plugin: string): number {
    return this.createdBy.get(plugin) ?? 0;
  }

  /** Runs `fn` after every earlier command for the same peer has finished. */
  serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  /**
   * Makes a peer with the table's network, logger and event path and registers it. `onClosing` runs
   * after the peer has left the table (e.g. the SFU tells subscribers a publisher is gone).
   */
  add<P extends PeerBase>(
    sessionId: number,
    handleId: number,
    trickle: boolean,
    make: (deps: PeerDeps) => P,
    onClosing?: (peer: P) => void,
  ): P {
    const key = peerKey(sessionId, handleId);
    const peer = make({
      sessionId,
      handleId,
      network: this.opts.network,
      logger: this.opts.logger,
      trickle,
      iceStartTimeoutMs: this.opts.iceStartTimeoutMs,
      settings: this.opts.settings,
      emit: (event) => this.opts.emit(sessionId, handleId, event),
      onClosing: (p) => {
        if (this.peers.get(key) === p) this.peers.delete(key);
        onClosing?.(p as P);
      },
      onClosed: (p) => addCounters(this.gone, p.totals(zeroCounters())),
    });
    this.peers.set(key, peer);
    this.created++;
    this.createdBy.set(peer.plugin, this.createdOf(peer.plugin) + 1);
    return peer;
  }

  /** Hangs a peer up and tracks its teardown so {@link closeAll} can wait for it. */
  hangup(peer: PeerBase, reason: string, opts?: HangupOptions): Promise<void> {
    const p = peer.hangup(reason, opts);
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
    return p;
  }

  async closeAll(reason: string): Promise<void> {
    for (const p of [...this.peers.values()]) void this.hangup(p, reason);
    await Promise.allSettled([...this.closing]);
  }

  /** Sum of the media counters of live and gone peers (plugins that count media). */
  totals(): MediaCounters {
    const t = zeroCounters();
    addCounters(t, this.gone);
    for (const p of this.peers.values()) p.totals(t);
    return t;
  }

  /** An admin changed a relay-wide setting: every peer reads it from its next tick on. */
  applySettings(s: Partial<MediaSettings>): void {
    if (s.noMediaTimerSec !== undefined) this.opts.settings.noMediaTimerSec = s.noMediaTimerSec;
    if (s.slowlinkThreshold !== undefined) this.opts.settings.slowlinkThreshold = s.slowlinkThreshold;
    if (s.minNackQueueMs !== undefined) this.opts.settings.minNackQueueMs = s.minNackQueueMs;
  }

  private tick(): void {
    this.ticks++;
    const now = Date.now();
    const everySecond = this.ticks % TICKS_PER_SECOND === 0;
    const statsEvery = this.opts.statsPeriodSec * TICKS_PER_SECOND;
    const statsDue = statsEvery > 0 && this.ticks % statsEvery === 0;
    const noMediaMs = this.opts.settings.noMediaTimerSec * 1000;
    for (const p of this.peers.values()) {
      try {
        p.tick(now, noMediaMs, everySecond);
        if (statsDue) {
          const ev = p.statsEvent(now);
          if (ev) this.opts.emit(p.sessionId, p.handleId, ev);
        }
      } catch (err) {
        this.opts.logger.warn('peer tick failed', { peer: p.key, err });
      }
    }
    for (const l of this.listeners) l(now, everySecond);
  }
}
