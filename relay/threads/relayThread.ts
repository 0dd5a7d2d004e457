import { Worker } from 'node:worker_threads';
import type { Command } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import type { Outcome } from '../commands/context.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FeedSource, FeedStream } from '../sfu/feed.js';
import { DataTap, FeedTap, type TapTarget } from './feedTap.js';
import type { FromThread, MirroredFeed, ThreadConfig, ToThread } from './messages.js';
import { createPacketRing, FLAG_CLOSED, FLAG_RESYNC, PacketRingWriter } from './packetRing.js';

/** A peer a relay thread holds, as the main thread knows it (for the edge's counts and lists). */
export interface ThreadPeer {
  sessionId: number;
  handleId: number;
  createdAt: number;
}

export interface RelayThreadHooks {
  /** A peer event from the thread, on its way to the edge. */
  event(thread: RelayThread, sessionId: number, handleId: number, event: PeerEvent): void;
  /** The thread no longer holds `key` (a hangup it reported, a failed creation). */
  peerGone(thread: RelayThread, key: string): void;
  /** The thread exited (crashed, or was terminated): what it held is lost. */
  exited(thread: RelayThread, code: number): void;
}

/** Numbers for the main thread's FeedStreams, as batches name them (one numbering for every thread). */
const feedIds = new WeakMap<FeedStream, number>();
let nextFeedId = 1;
function feedIdOf(feed: FeedStream): number {
  let id = feedIds.get(feed);
  if (id === undefined) feedIds.set(feed, (id = nextFeedId++ >>> 0));
  return id;
}

/**
 * The main thread's side of one relay thread: its Worker, the commands in flight to it, the peers it
 * holds, and the taps that feed it publishers' packets (one per publisher stream its subscribers
 * watch, appending to this thread's batch).
 */
export class RelayThread implements TapTarget {
  readonly worker: Worker;
  readonly peers = new Map<string, ThreadPeer>();
  readonly batch: PacketRingWriter;
  readonly ready: Promise<void>;
  alive = true;
  /** It said `ready` (a thread that dies before is restarted after a pause, not in a loop). */
  started = false;
  private readonly pending = new Map<number, { resolve(o: Outcome): void; reject(e: Error): void; key: string }>();
  private nextId = 1;
  private readonly taps = new Map<FeedStream, FeedTap>();
  private readonly dataTaps = new Map<string, { source: FeedSource; tap: DataTap }>();
  /** Sources described to the thread (it mirrors them until told otherwise). */
  private readonly mirrored = new Set<string>();
  private closed: (() => void) | undefined;

  constructor(
    readonly index: number,
    script: string | URL,
    config: ThreadConfig,
    private readonly hooks: RelayThreadHooks,
    private readonly log: Logger,
  ) {
    const ring = createPacketRing();
    this.worker = new Worker(script, { workerData: { ...config, ring } });
    this.batch = new PacketRingWriter(ring);
    let ready: () => void = () => undefined;
    let failed: (err: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    // a thread that exits before it is up fails `ready` (a relay that cannot start its threads does not start)
    this.worker.once('exit', (code) => failed(new Error(`relay thread ${index} exited with ${code} before it was up`)));
    this.ready.catch(() => undefined);
    this.worker.on('message', (msg: FromThread) => this.receive(msg, ready));
    this.worker.on('error', (err) => this.log.error('relay thread failed', { thread: index, err }));
    this.worker.on('exit', (code) => this.onExit(code));
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  get tapCount(): number {
    return this.taps.size + this.dataTaps.size;
  }

  /** Load for placement: peers held plus creations in flight. */
  get load(): number {
    return this.peers.size + this.pending.size;
  }

  /**
   * Runs a command in the thread. Before it, the publishers it names are described to the thread
   * and tapped (the order of messages on the port puts them ahead of the command).
   */
  execute(cmd: Command, sources: FeedSource[]): Promise<Outcome> {
    if (!this.alive) return Promise.reject(new RelayError(Codes.UNKNOWN, 'Relay thread lost'));
    for (const s of sources) this.mirror(s);
    const id = this.nextId++;
    const key = `${cmd.sessionId}:${cmd.handleId}`;
    return new Promise<Outcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, key });
      this.postInOrder({ t: 'command', id, cmd });
    });
  }

  private mirror(source: FeedSource): void {
    const feeds: MirroredFeed[] = [];
    for (const feed of source.feeds.values()) {
      const feedId = feedIdOf(feed);
      const c = feed.codecParams;
      feeds.push({
        feedId,
        mid: feed.mid,
        kind: feed.kind,
        mindex: feed.mindex,
        codec: c && {
          mimeType: c.mimeType,
          clockRate: c.clockRate,
          channels: c.channels,
          payloadType: c.payloadType,
          parameters: c.parameters,
          rtcpFeedback: c.rtcpFeedback.map((fb) => ({ type: fb.type, parameter: fb.parameter })),
        },
        rids: feed.rids,
        disabled: feed.disabled,
        sending: feed.sending,
        closed: feed.closed,
      });
      if (!feed.closed && !this.taps.has(feed)) {
        const tap = new FeedTap(feed, feedId, this);
        this.taps.set(feed, tap);
        feed.addLeg(tap);
      }
    }
    if (source.dataMid !== undefined && !this.dataTaps.has(source.key)) {
      const tap = new DataTap(source.key, (m) => this.postInOrder(m));
      source.dataSinks.add(tap);
      this.dataTaps.set(source.key, { source, tap });
    }
    this.mirrored.add(source.key);
    this.postInOrder({ t: 'describe', source: { key: source.key, dataMid: source.dataMid, feeds } });
  }

  /** A publisher of the main thread is gone: the thread forgets its mirror. */
  sourceGone(key: string): void {
    if (!this.mirrored.delete(key)) return;
    for (const [feed, tap] of this.taps) if (feed.publisherKey === key) this.dropTap(feed, tap);
    this.dropDataTap(key);
    this.postInOrder({ t: 'sourceGone', key });
  }

  postInOrder(msg: ToThread): void {
    this.batch.flush();
    this.post(msg);
  }

  /** A stream's resync or close, in order with its packets (through the ring). */
  signal(feedId: number, what: 'resync' | 'closed'): void {
    this.batch.signal(feedId, what === 'resync' ? FLAG_RESYNC : FLAG_CLOSED);
  }

  tapClosed(tap: FeedTap): void {
    if (this.taps.get(tap.feed) === tap) this.taps.delete(tap.feed);
  }

  /** Hangs up everything the thread holds (relay shutdown); resolves when it has (or after `limitMs`). */
  closeAll(reason: string, limitMs = 5000): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, limitMs);
      this.closed = () => {
        clearTimeout(t);
        resolve();
      };
      this.postInOrder({ t: 'closeAll', reason });
    });
  }

  /** Ends the thread (after {@link closeAll}); the OS closes whatever sockets it still held. */
  async terminate(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }

  private post(msg: ToThread): void {
    if (this.alive) this.worker.postMessage(msg);
  }

  private receive(msg: FromThread, ready: () => void): void {
    switch (msg.t) {
      case 'ready':
        this.started = true;
        ready();
        return;
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (!msg.held) this.forget(p.key);
        else if (!this.peers.has(p.key)) {
          const [sessionId, handleId] = p.key.split(':').map(Number) as [number, number];
          this.peers.set(p.key, { sessionId, handleId, createdAt: Date.now() });
        }
        if (msg.ok) {
          const { result, candidates } = msg;
          p.resolve(candidates.length ? { result, after: () => this.emitCandidates(p.key, candidates) } : { result });
        } else p.reject(new RelayError(msg.code, msg.reason));
        this.releaseTapsIfIdle();
        return;
      }
      case 'event':
        this.hooks.event(this, msg.sessionId, msg.handleId, msg.event);
        if (msg.event.kind === 'hangup') this.forget(`${msg.sessionId}:${msg.handleId}`);
        return;
      case 'keyframe':
        for (const [feed, tap] of this.taps) if (tap.feedId === msg.feedId) feed.requestKeyframe();
        return;
      case 'closed':
        this.closed?.();
        return;
    }
  }

  private emitCandidates(key: string, candidates: Extract<FromThread, { ok: true }>['candidates']): void {
    const [sessionId, handleId] = key.split(':').map(Number) as [number, number];
    for (const candidate of candidates) this.hooks.event(this, sessionId, handleId, { kind: 'candidate', candidate });
  }

  private forget(key: string): void {
    if (!this.peers.delete(key)) return;
    this.hooks.peerGone(this, key);
    this.releaseTapsIfIdle();
  }

  /** No peer and nothing in flight: nothing of this thread watches a publisher any more. */
  private releaseTapsIfIdle(): void {
    if (this.peers.size > 0 || this.pending.size > 0 || this.mirrored.size === 0) return;
    this.releaseTaps();
    this.postInOrder({ t: 'forgetSources' });
  }

  private releaseTaps(): void {
    for (const [feed, tap] of this.taps) this.dropTap(feed, tap);
    for (const key of [...this.dataTaps.keys()]) this.dropDataTap(key);
    this.mirrored.clear();
  }

  private dropTap(feed: FeedStream, tap: FeedTap): void {
    tap.detach();
    this.taps.delete(feed);
  }

  private dropDataTap(key: string): void {
    const d = this.dataTaps.get(key);
    if (!d) return;
    d.source.dataSinks.delete(d.tap);
    this.dataTaps.delete(key);
  }

  private onExit(code: number): void {
    this.alive = false;
    this.releaseTaps();
    for (const p of this.pending.values()) p.reject(new RelayError(Codes.UNKNOWN, 'Relay thread lost'));
    this.pending.clear();
    this.closed?.();
    this.hooks.exited(this, code);
  }
}
