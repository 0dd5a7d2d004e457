import type { ShardHost } from './host.js';
import { deadlineOf, type Session } from './session.js';

/** The timeouts in force: the global session_timeout (admin-settable) and reclaim_session_timeout. */
export interface TimeoutSettings {
  sessionTimeout(): number;
  readonly reclaimSessionTimeout: number;
}

/**
 * Activity is written lazily: only once it has advanced by more than this fraction of the session's
 * shortest timeout since it was last stored, so a restored shard expires a session at most this much
 * early (never late, and never with a fresh window).
 */
export const ACTIVITY_SLACK = 0.1;
/** The bound on unstored activity when no timeout applies (a timeout may be set later). */
const MAX_ACTIVITY_SLACK_MS = 60_000;

/**
 * Session expiry, Janus's watchdog rule: each session's deadline is derived from its last activity,
 * its own or the global timeout, and the reclaim window once its WebSocket closed. The shard keeps one
 * alarm, set to the earliest deadline; the alarm ends every session past its deadline.
 */
export class Timeouts {
  private alarmAt = Infinity;

  constructor(
    private readonly host: ShardHost,
    private readonly sessions: ReadonlyMap<number, Session>,
    private readonly settings: TimeoutSettings,
    private readonly persist: (s: Session) => void,
  ) {}

  /**
   * Activity. Stored only when it has moved more than `activitySlack` past what storage holds (a
   * keepalive does not cost a write); the record's other changes carry it too.
   */
  touch(s: Session): void {
    const now = this.host.clock.now();
    s.lastActivity = now;
    if (now - (s.persistedActivity ?? s.createdAt) > this.activitySlack(s)) this.persist(s);
  }

  /** How far unstored activity may run ahead of storage: a fraction of the session's shortest window. */
  activitySlack(s: Session): number {
    const timeout = s.timeout ?? this.settings.sessionTimeout();
    let window = timeout > 0 ? timeout * 1000 : Infinity;
    if (s.transportGoneAt !== undefined) window = Math.min(window, this.settings.reclaimSessionTimeout * 1000);
    return Math.min(window * ACTIVITY_SLACK, MAX_ACTIVITY_SLACK_MS);
  }

  deadline(s: Session): number {
    return deadlineOf(s, this.settings.sessionTimeout(), this.settings.reclaimSessionTimeout);
  }

  /** Moves the alarm earlier if this session's deadline comes first. */
  watch(s: Session): void {
    this.schedule(this.deadline(s));
  }

  /** Recomputes the alarm from every session (after a timeout changed, or at start). */
  reschedule(): void {
    this.alarmAt = Infinity;
    this.schedule(this.nextDeadline());
  }

  /** The alarm fired: the sessions past their deadline (the caller ends them, then calls `reschedule`). */
  expired(): Session[] {
    this.alarmAt = Infinity;
    const now = this.host.clock.now();
    return [...this.sessions.values()].filter((s) => this.deadline(s) <= now);
  }

  private nextDeadline(): number {
    let next = Infinity;
    for (const s of this.sessions.values()) next = Math.min(next, this.deadline(s));
    return next;
  }

  private schedule(at: number): void {
    if (!Number.isFinite(at)) return;
    // An alarm already due should have fired: if this instance still holds it, it was not delivered
    // here (or its handler failed), so it is set again rather than trusted.
    if (at >= this.alarmAt && this.alarmAt > this.host.clock.now()) return;
    this.alarmAt = Math.min(at, this.alarmAt);
    void this.host.storage.setAlarm(this.alarmAt);
  }
}
