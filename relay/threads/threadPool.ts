import type { Command } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import type { ListedPeer } from '../../shared/control/messages.js';
import { VIDEOROOM_PLUGIN } from '../../shared/control/sfu.js';
import type { CommandContext, Outcome } from '../commands/context.js';
import { admitPeer } from '../commands/create.js';
import type { Logger } from '../logger.js';
import type { MediaSettings } from '../peer/mediaSettings.js';
import type { FeedSource } from '../sfu/feed.js';
import type { SfuHub } from '../sfu/hub.js';
import type { ThreadConfig } from './messages.js';
import { RelayThread } from './relayThread.js';

export const THREAD_LOST_REASON = 'Relay thread lost';
/** A thread that died before it was up is restarted after this pause. */
const RESTART_PAUSE_MS = 1000;

export interface ThreadPoolOptions {
  /** The module a Worker runs: the relay's entry, which runs the thread side off the main thread. */
  script: string | URL;
  /** The configuration of thread `index` (its own ICE port slice). */
  config(index: number): ThreadConfig;
  sfu: SfuHub;
  logger: Logger;
  emit(sessionId: number, handleId: number, event: PeerEvent): void;
}

/**
 * RELAY_WORKER_THREADS: VideoRoom subscribers spread over relay threads, the least loaded first. The
 * main thread keeps the control connection, publishers and every other plugin, and proxies each
 * command for a thread's peer to it. A thread that dies is noticed (its Worker's `exit`): each peer it
 * held ends through {@link peerEnded}, the one way a thread's peer leaves the relay's books (the edge
 * gets `hangup`), and a fresh thread takes its slot for later peers.
 */
export class ThreadPool {
  private readonly slots: RelayThread[] = [];
  private stopping = false;
  restarts = 0;

  constructor(
    count: number,
    private readonly opts: ThreadPoolOptions,
  ) {
    for (let i = 0; i < count; i++) this.slots.push(this.spawn(i));
    opts.sfu.onSourceGone((key) => {
      for (const t of this.slots) t.sourceGone(key);
    });
  }

  /** Resolves once every thread is up. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((t) => t.ready));
  }

  /** Peers the threads hold. */
  get size(): number {
    let n = 0;
    for (const t of this.slots) n += t.peers.size;
    return n;
  }

  keys(): string[] {
    return this.slots.flatMap((t) => [...t.peers.keys()]);
  }

  list(now = Date.now()): ListedPeer[] {
    return this.slots.flatMap((t) =>
      [...t.peers.values()].map((p) => ({
        sessionId: p.sessionId,
        handleId: p.handleId,
        ageMs: Math.max(0, Math.round(now - p.createdAt)),
      })),
    );
  }

  holder(key: string): RelayThread | undefined {
    return this.slots.find((t) => t.peers.has(key));
  }

  /**
   * The command's way when a thread runs it: a command for a peer a thread holds, or a VideoRoom
   * subscriber's `peer.create` (admitted here against the relay's capacity); undefined: the main
   * thread runs it.
   */
  execute(ctx: CommandContext, key: string, cmd: Command): Promise<Outcome> | undefined {
    let thread = this.holder(key);
    if (!thread) {
      if (!isSubscriberCreate(cmd)) return undefined;
      thread = this.leastLoaded();
      if (!thread) return undefined;
      // the thread checks its own ICE ports
      admitPeer(ctx, key, { ports: false });
    }
    return thread.execute(cmd, this.sourcesOf(cmd));
  }

  /** The publishers a command subscribes to, as the main thread has them now. */
  private sourcesOf(cmd: Command): FeedSource[] {
    const keys: string[] = [];
    const c = cmd as { op: string; options?: { streams?: Array<{ feedKey?: string }> } };
    if (cmd.op === 'peer.create') for (const s of c.options?.streams ?? []) if (s.feedKey) keys.push(s.feedKey);
    if (cmd.op === 'sfu.update') for (const s of cmd.add) keys.push(s.feedKey);
    if (cmd.op === 'sfu.switch') for (const s of cmd.changes) keys.push(s.feedKey);
    const out: FeedSource[] = [];
    for (const k of new Set(keys)) {
      const s = this.opts.sfu.publisher(k);
      if (s) out.push(s);
    }
    return out;
  }

  private leastLoaded(): RelayThread | undefined {
    let best: RelayThread | undefined;
    for (const t of this.slots) if (t.alive && (!best || t.load < best.load)) best = t;
    return best;
  }

  applySettings(s: Partial<MediaSettings>): void {
    for (const t of this.slots) t.postInOrder({ t: 'settings', settings: s });
  }

  /** Relay shutdown: every thread hangs its peers up (their `hangup` events reach the edge), then ends. */
  async stop(reason: string): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((t) => t.closeAll(reason)));
    await Promise.all(this.slots.map((t) => t.terminate()));
  }

  /** Test-only (RELAY_SECRET, /debug/threads): thread `index` throws, as a crash would. */
  crash(index: number): boolean {
    const t = this.slots[index];
    if (!t?.alive) return false;
    t.postInOrder({ t: 'crash' });
    return true;
  }

  census(): Array<Record<string, unknown>> {
    return this.slots.map((t) => ({
      index: t.index,
      threadId: t.threadId,
      alive: t.alive,
      peers: t.peers.size,
      taps: t.tapCount,
      // packets a full ring dropped (the thread was ~1 MB behind)
      ringDropped: t.batch.dropped,
    }));
  }

  /**
   * The one way a thread's peer leaves the relay's books. The thread's own hangup already sent its
   * `hangup` event; a peer lost with its thread gets one here, as any hangup would send.
   */
  private peerEnded(key: string, lostReason?: string): void {
    if (lostReason === undefined) return;
    const [sessionId, handleId] = key.split(':').map(Number) as [number, number];
    this.opts.emit(sessionId, handleId, { kind: 'hangup', reason: lostReason });
  }

  private spawn(index: number): RelayThread {
    const log = this.opts.logger;
    return new RelayThread(
      index,
      this.opts.script,
      this.opts.config(index),
      {
        event: (_t, sessionId, handleId, event) => this.opts.emit(sessionId, handleId, event),
        peerGone: (_t, key) => this.peerEnded(key),
        exited: (t, code) => {
          const lost = [...t.peers.keys()];
          t.peers.clear();
          for (const key of lost) this.peerEnded(key, THREAD_LOST_REASON);
          if (this.stopping) return;
          log.error('relay thread exited', { thread: index, code, peers: lost.length });
          const restart = () => {
            if (this.stopping || this.slots[index] !== t) return;
            this.restarts++;
            this.slots[index] = this.spawn(index);
          };
          if (t.started) restart();
          else setTimeout(restart, RESTART_PAUSE_MS).unref();
        },
      },
      log,
    );
  }
}

function isSubscriberCreate(cmd: Command): boolean {
  if (cmd.op !== 'peer.create' || cmd.plugin !== VIDEOROOM_PLUGIN) return false;
  return (cmd.options as { role?: unknown }).role === 'subscriber';
}
