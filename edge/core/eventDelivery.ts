import type { ShardHost } from './host.js';
import { withFollowUps, type JanusMessage } from './replies.js';
import { MAX_QUEUED_EVENTS, type Session } from './session.js';
import type { PollResult } from './shardApi.js';

const LONG_POLL_MS = 30_000;

/**
 * Events towards clients. A session's events go where its source is: an HTTP session's to its
 * long-poll queue (bounded, and stored once its events linger, so an eviction does not lose them) and any waiting poll, a WebSocket session's to its socket, held here or
 * by another shard (pushed by RPC). Events caused by a `message` over the session's own socket are
 * held until its reply went out, as Janus sends `ack` before the event it announces.
 */
export class EventDelivery {
  constructor(
    private readonly host: ShardHost,
    private readonly ownShard: () => number,
    /** The long-poll queue changed (it is stored once its events linger). */
    private readonly queueChanged: (s: Session) => void = () => undefined,
  ) {}

  /** Sends an event to wherever the session's events go. Never awaits. */
  deliver(s: Session, m: JanusMessage): void {
    if (s.heldAll) {
      s.heldAll.push(m);
      return;
    }
    const src = s.source;
    if (src.kind === 'http') {
      if (s.queue.length >= MAX_QUEUED_EVENTS) s.queue.shift();
      if (s.queue.length === 0) s.queuedSince = this.host.clock.now();
      s.queue.push(m);
      this.queueChanged(s);
      this.wakePollers(s);
      return;
    }
    if (src.shard === this.ownShard()) {
      if (!this.host.sendToConnection(src.connId, m))
        this.host.log.debug('event for a closed connection dropped', { session: s.id });
      return;
    }
    void this.host
      .shard(src.shard)
      .pushToConnection(src.connId, m)
      .catch((err: unknown) => this.host.log.warn('remote delivery failed', { error: String(err) }));
  }

  /** A plugin's event: held behind the reply of the request it answers, if that reply is still pending. */
  deliverFor(s: Session, m: JanusMessage, transaction: string | undefined): void {
    const held = transaction === undefined ? undefined : s.held?.get(transaction);
    if (held) held.push(m);
    else this.deliver(s, m);
  }

  /**
   * Runs a request whose events must follow its reply over the same socket: they are held and handed
   * to the transport as the reply's `followUps`. `fn` answers an error reply rather than throwing.
   * `everything`: hold all the session's events meanwhile, not only those carrying `transaction`.
   */
  async inOrder(
    s: Session,
    transaction: string,
    fn: () => Promise<JanusMessage>,
    everything = false,
  ): Promise<JanusMessage> {
    const held: JanusMessage[] = [];
    const map = (s.held ??= new Map());
    map.set(transaction, held);
    const holdAll = everything && !s.heldAll;
    if (holdAll) s.heldAll = held;
    let out: JanusMessage;
    try {
      out = await fn();
    } finally {
      map.delete(transaction);
      if (holdAll) s.heldAll = undefined;
    }
    return held.length > 0 ? withFollowUps(out, held) : out;
  }

  /** Waits (up to LONG_POLL_MS) for events of an HTTP session, then takes up to `maxev` of them. */
  async poll(s: Session, maxev: number): Promise<PollResult> {
    if (s.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          cancel();
          s.pollers.delete(wake);
          resolve();
        };
        const cancel = this.host.clock.after(LONG_POLL_MS, wake);
        s.pollers.add(wake);
      });
    }
    const events = s.queue.splice(0, Math.max(1, maxev));
    if (events.length > 0) {
      if (s.queue.length === 0) s.queuedSince = undefined;
      this.queueChanged(s);
    }
    if (events.length === 0) {
      if (s.ending) return { status: 404 };
      const ka: JanusMessage = { janus: 'keepalive' };
      return { status: 200, body: maxev > 1 ? [ka] : ka };
    }
    return { status: 200, body: maxev > 1 ? events : events[0] };
  }

  /** Releases every waiting poll (new events, or the session ended). */
  wakePollers(s: Session): void {
    for (const wake of s.pollers) wake();
  }
}
