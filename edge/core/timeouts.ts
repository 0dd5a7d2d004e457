import type { ShardHost } from './host.js';
import { deadlineOf, type Session } from './session.js';

/** The timeouts in force: the global session_timeout (admin-settable) and reclaim_session_timeout. */
export interface TimeoutSettings {
  sessionTimeout(): number;
  readonly reclaimSessionTimeout: number;
}

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
  ) {}

  /** Activity. Not persisted (that would double storage writes); a restarted shard grants a fresh window instead. */
  touch(s: Session): void {
    s.lastActivity = this.host.clock.now();
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
    if (!Number.isFinite(at) || at >= this.alarmAt) return;
    this.alarmAt = at;
    void this.host.storage.setAlarm(at);
  }
}
