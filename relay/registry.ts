import type { PeerEvent } from '../shared/control/events.js';
import { EchoSession } from './echo.js';
import type { Logger } from './logger.js';
import { addCounters, zeroCounters, type MediaCounters } from './metrics.js';
import type { PeerOptions } from '../shared/control/commands.js';
import type { PeerNetwork } from './peer/werift.js';

export interface RegistryOptions {
  network: PeerNetwork;
  logger: Logger;
  noMediaTimerSec: number;
  statsPeriodSec: number;
  emit(sessionId: number, handleId: number, event: PeerEvent): void;
  /** Called once a second from the ticker (metrics sampling). */
  onSecond?(): void;
}

const TICK_MS = 250;

/**
 * The live EchoSessions keyed by `${sessionId}:${handleId}`, one ticker for all of them (media
 * timers, stats, REMB), per-peer command serialization, and the counters of peers already gone.
 */
export class PeerRegistry {
  private readonly peers = new Map<string, EchoSession>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly closing = new Set<Promise<void>>();
  private readonly gone: MediaCounters = zeroCounters();
  private ticker: NodeJS.Timeout | undefined;
  private ticks = 0;
  created = 0;

  constructor(private readonly opts: RegistryOptions) {}

  static key(sessionId: number, handleId: number): string {
    return `${sessionId}:${handleId}`;
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

  get size(): number {
    return this.peers.size;
  }

  get(key: string): EchoSession | undefined {
    return this.peers.get(key);
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

  create(sessionId: number, handleId: number, options: PeerOptions): EchoSession {
    const key = PeerRegistry.key(sessionId, handleId);
    const session = new EchoSession({
      sessionId,
      handleId,
      network: this.opts.network,
      options,
      logger: this.opts.logger,
      emit: (event) => this.opts.emit(sessionId, handleId, event),
      onClosing: (s) => {
        if (this.peers.get(key) === s) this.peers.delete(key);
      },
      onClosed: (_s, totals) => addCounters(this.gone, totals),
    });
    this.peers.set(key, session);
    this.created++;
    return session;
  }

  /** Hangs a session up and tracks its teardown so {@link closeAll} can wait for it. */
  hangup(session: EchoSession, reason: string, opts?: { notifyEdge?: boolean; notifyClient?: boolean }): Promise<void> {
    const p = session.hangup(reason, opts);
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
    return p;
  }

  async closeAll(reason: string): Promise<void> {
    for (const s of [...this.peers.values()]) void this.hangup(s, reason);
    await Promise.allSettled([...this.closing]);
  }

  /** Sum of the counters of live and gone peers. */
  totals(): MediaCounters {
    const t = zeroCounters();
    addCounters(t, this.gone);
    for (const s of this.peers.values()) s.totals(t);
    return t;
  }

  private tick(): void {
    this.ticks++;
    const now = Date.now();
    const ticksPerSecond = 1000 / TICK_MS;
    const everySecond = this.ticks % ticksPerSecond === 0;
    const statsEvery = this.opts.statsPeriodSec * ticksPerSecond;
    const statsDue = statsEvery > 0 && this.ticks % statsEvery === 0;
    const noMediaMs = this.opts.noMediaTimerSec * 1000;
    for (const s of this.peers.values()) {
      try {
        s.tick(now, noMediaMs, everySecond);
        if (statsDue) {
          const ev = s.statsEvent(now);
          if (ev) this.opts.emit(...(s.key.split(':').map(Number) as [number, number]), ev);
        }
      } catch (err) {
        this.opts.logger.warn('peer tick failed', { peer: s.key, err });
      }
    }
    if (everySecond) this.opts.onSecond?.();
  }
}
