/**
 * One churner of bench:churn: a janus.js-like client that, over and over, opens a WebSocket and a
 * session, joins the room as a publisher and publishes (werift offer), attaches a second handle and
 * subscribes to the room's steady publisher (werift answer), asks for a keyframe, and goes: every
 * other cycle by `leave`, else kicked by the moderator; then destroys its session. Ten operations a
 * cycle, each one request and its answer (the `success`, or the event answering the `ack`).
 */
import { data, Member, publish, subscribe } from '../support/roomMember.js';
import type { Msg } from '../support/janusConn.js';

export interface ChurnRoom {
  wsUrl: string;
  apisecret?: string;
  room: number;
  /** The room's `secret`, for kicks. */
  secret: string;
  /** The steady publisher every churner subscribes to. */
  feed: number;
  /** Holds the room and kicks. */
  moderator: Member;
  /** Where the churners' PeerConnections bind (see Member.connect). */
  iceAddress?: string;
}

/** What the churners did while `counting` was on. */
export class ChurnStats {
  counting = false;
  stopped = false;
  ops = 0;
  cycles = 0;
  kicks = 0;
  leaves = 0;
  keyframes = 0;
  errors = 0;
  firstError?: string;
  readonly opMs: number[] = [];
  /** The time each step of a cycle took (all its requests), by step: where the time goes. */
  readonly stepMs = new Map<string, number[]>();

  /** Runs one step of `n` requests (e.g. create + attach) and records it. */
  async op<T>(step: string, n: number, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const r = await fn();
    if (this.counting) {
      this.ops += n;
      const ms = performance.now() - t0;
      for (let i = 0; i < n; i++) this.opMs.push(ms / n);
      let list = this.stepMs.get(step);
      if (!list) this.stepMs.set(step, (list = []));
      list.push(ms);
    }
    return r;
  }

  failed(err: unknown): void {
    if (!this.counting) return;
    this.errors++;
    this.firstError ??= err instanceof Error ? err.message : String(err);
  }
}

const ok = (m: Msg, what: string) => data(m, what);

async function cycle(r: ChurnRoom, s: ChurnStats, kick: boolean, n: number): Promise<void> {
  const pub = await s.op('create+attach', 2, () => Member.connect(r.wsUrl, r.apisecret, r.iceAddress));
  let sub: Member | undefined;
  try {
    const joined = await s.op('join', 1, async () =>
      ok(await pub.ask({ request: 'join', ptype: 'publisher', room: r.room, display: `churner${n}` }), 'join'),
    );
    const id = joined.id as number;
    await s.op('publish', 1, () => publish(pub));
    sub = await s.op('attach', 1, () => pub.attach());
    const subscriber = sub;
    await s.op('subscribe+start', 2, () => subscribe(subscriber, r.room, [r.feed]));
    await s.op('keyframe', 1, async () => ok(await pub.ask({ request: 'configure', keyframe: true }), 'keyframe'));
    if (s.counting) s.keyframes++;
    if (kick) {
      await s.op('kick', 1, async () =>
        ok(await r.moderator.ask({ request: 'kick', room: r.room, secret: r.secret, id }), 'kick'),
      );
      if (s.counting) s.kicks++;
    } else {
      await s.op('leave', 1, async () => ok(await pub.ask({ request: 'leave' }), 'leave'));
      if (s.counting) s.leaves++;
    }
    await s.op('destroy', 1, async () => {
      const m = await pub.session('destroy');
      if (m.janus !== 'success') throw new Error(`destroy: ${JSON.stringify(m).slice(0, 200)}`);
    });
    if (s.counting) s.cycles++;
  } finally {
    await pub.conn.close().catch(() => undefined);
    await pub.client?.close().catch(() => undefined);
    await sub?.client?.close().catch(() => undefined);
  }
}

/** Loops cycles until `s.stopped`; a failed cycle is counted and the next one starts. */
export async function churner(r: ChurnRoom, s: ChurnStats, n: number): Promise<void> {
  let kick = n % 2 === 0;
  while (!s.stopped) {
    try {
      await cycle(r, s, kick, n);
    } catch (err) {
      s.failed(err);
      await new Promise((res) => setTimeout(res, 50));
    }
    kick = !kick;
    r.moderator.forgetNotifications();
  }
}
