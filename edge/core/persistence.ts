import type { ShardHost } from './host.js';
import { toRecord, type Session, type SessionRecord } from './session.js';

const FLUSH_MS = 100;
/** Sessions younger than this are not written yet: most API churn never reaches storage. */
const MIN_PERSIST_AGE_MS = 1000;
/** Durable Object storage takes at most 128 keys per put/delete. */
const STORAGE_BATCH = 128;
const RECORD_PREFIX = 's:';

/**
 * Session records, written behind: changes mark the session dirty and one batched write per
 * FLUSH_MS stores them, without holding replies behind the commit (unconfirmed writes). A session
 * is first written once it is MIN_PERSIST_AGE_MS old, so one created and destroyed quickly costs no
 * storage at all. A pending flush keeps the object from hibernating, so what is in memory reaches
 * storage before an eviction; a host crash may lose the last second of changes.
 */
export class SessionPersistence {
  /** Sessions whose record must be written (or deleted) at the next flush. */
  private readonly dirty = new Set<number>();
  /** Sessions that have a record in storage. */
  private readonly stored = new Set<number>();
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
    const puts: Record<string, SessionRecord> = {};
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
        this.stored.add(id);
      } else if (this.stored.delete(id)) dels.push(RECORD_PREFIX + id);
    }
    this.dirty.clear();
    for (const id of young) this.dirty.add(id);
    if (young.length > 0) this.scheduleFlush();
    const entries = Object.entries(puts);
    for (let i = 0; i < entries.length; i += STORAGE_BATCH)
      void this.host.storage.put(Object.fromEntries(entries.slice(i, i + STORAGE_BATCH)), true);
    for (let i = 0; i < dels.length; i += STORAGE_BATCH)
      void this.host.storage.delete(dels.slice(i, i + STORAGE_BATCH), true);
  }
}
