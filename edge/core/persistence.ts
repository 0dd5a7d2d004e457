import type { ShardHost } from './host.js';
import type { JanusMessage } from './replies.js';
import { toRecord, type Session, type SessionRecord } from './session.js';

const FLUSH_MS = 100;
/** Sessions younger than this are not written yet: most API churn never reaches storage. */
const MIN_PERSIST_AGE_MS = 1000;
/** Durable Object storage takes at most 128 keys per put/delete. */
const STORAGE_BATCH = 128;
const RECORD_PREFIX = 's:';
const QUEUE_PREFIX = 'q:';
/** Queued long-poll events are written once they waited this long (a waiting poll takes most at once). */
const QUEUE_PERSIST_AGE_MS = 1000;
/** A stored queue keeps its newest events within this size (one storage value is at most 128 KiB). */
const MAX_STORED_QUEUE_CHARS = 100_000;

/**
 * Session records, written behind: changes mark the session dirty and one batched write per
 * FLUSH_MS stores them, without holding replies behind the commit (unconfirmed writes). A session
 * is first written once it is MIN_PERSIST_AGE_MS old, so one created and destroyed quickly costs no
 * storage at all. A pending flush keeps the object from hibernating, so what is in memory reaches
 * storage before an eviction; a host crash may lose the last second of changes.
 *
 * A long-poll queue whose events have waited QUEUE_PERSIST_AGE_MS is stored under `q:<id>` (its
 * newest events, up to MAX_STORED_QUEUE_CHARS) and rewritten while it changes, deleted once drained,
 * so events nobody polled yet survive an eviction; events a waiting poll takes never reach storage.
 */
export class SessionPersistence {
  /** Sessions whose record must be written (or deleted) at the next flush. */
  private readonly dirty = new Set<number>();
  /** Sessions that have a record in storage. */
  private readonly stored = new Set<number>();
  /** Sessions whose queue changed, and those with a stored queue. */
  private readonly queueDirty = new Set<number>();
  private readonly queueStored = new Set<number>();
  private flushPending = false;

  constructor(
    private readonly host: ShardHost,
    private readonly sessions: ReadonlyMap<number, Session>,
  ) {}

  /** The stored records, each marked as stored (a restarted shard reads them once). */
  async load(): Promise<SessionRecord[]> {
    const records = [...(await this.host.storage.list<SessionRecord>(RECORD_PREFIX)).values()];
    for (const rec of records) this.stored.add(rec.id);
    return records;
  }

  /** The stored long-poll queues, by session id. */
  async loadQueues(): Promise<Map<number, JanusMessage[]>> {
    const queues = new Map<number, JanusMessage[]>();
    for (const [key, events] of await this.host.storage.list<JanusMessage[]>(QUEUE_PREFIX)) {
      const id = Number(key.slice(QUEUE_PREFIX.length));
      queues.set(id, events);
      this.queueStored.add(id);
    }
    return queues;
  }

  /** A stored queue without a session (its record was deleted first): removed at the next flush. */
  dropQueue(id: number): void {
    this.queueStored.add(id);
    this.queueDirty.add(id);
    this.scheduleFlush();
  }

  /** The session's long-poll queue changed. */
  persistQueue(s: Session): void {
    this.queueDirty.add(s.id);
    this.scheduleFlush();
  }

  /** The session changed (or ended: a session no longer in the registry has its record deleted). */
  persist(s: Session): void {
    this.dirty.add(s.id);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    this.host.clock.after(FLUSH_MS, () => this.flush());
  }

  flush(): void {
    this.flushPending = false;
    const puts: Record<string, unknown> = {};
    const dels: string[] = [];
    const now = this.host.clock.now();
    const young: number[] = [];
    for (const id of this.dirty) {
      const s = this.sessions.get(id);
      if (s && !s.ending) {
        // A session younger than one window waits for the next: most short-lived ones never cost a write.
        if (now - s.createdAt < MIN_PERSIST_AGE_MS && !this.stored.has(id)) {
          young.push(id);
          continue;
        }
        puts[RECORD_PREFIX + id] = toRecord(s);
        s.persistedActivity = s.lastActivity;
        this.stored.add(id);
      } else {
        if (this.stored.delete(id)) dels.push(RECORD_PREFIX + id);
        this.queueDirty.add(id);
      }
    }
    this.dirty.clear();
    for (const id of young) this.dirty.add(id);
    const waiting = this.flushQueues(now, puts, dels);
    if (young.length > 0 || waiting) this.scheduleFlush();
    const entries = Object.entries(puts);
    for (let i = 0; i < entries.length; i += STORAGE_BATCH)
      void this.host.storage.put(Object.fromEntries(entries.slice(i, i + STORAGE_BATCH)), true);
    for (let i = 0; i < dels.length; i += STORAGE_BATCH)
      void this.host.storage.delete(dels.slice(i, i + STORAGE_BATCH), true);
  }

  /** Adds the queue writes and deletes due; true when a queue is still too young to write. */
  private flushQueues(now: number, puts: Record<string, unknown>, dels: string[]): boolean {
    const young: number[] = [];
    for (const id of this.queueDirty) {
      const s = this.sessions.get(id);
      if (s && !s.ending && s.queue.length > 0) {
        if (!this.queueStored.has(id) && now - (s.queuedSince ?? now) < QUEUE_PERSIST_AGE_MS) {
          young.push(id);
          continue;
        }
        puts[QUEUE_PREFIX + id] = newestWithin(s.queue, MAX_STORED_QUEUE_CHARS);
        this.queueStored.add(id);
      } else if (this.queueStored.delete(id)) dels.push(QUEUE_PREFIX + id);
    }
    this.queueDirty.clear();
    for (const id of young) this.queueDirty.add(id);
    return young.length > 0;
  }
}

/** The newest events whose JSON fits in `chars`. */
function newestWithin(queue: JanusMessage[], chars: number): JanusMessage[] {
  let size = 0;
  let i = queue.length;
  while (i > 0) {
    size += JSON.stringify(queue[i - 1]).length + 1;
    if (size > chars) break;
    i--;
  }
  return queue.slice(i);
}
