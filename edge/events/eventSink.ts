import type { HandlerEvent } from '../../shared/janus/events.js';
import type { Logger } from '../log.js';
import { ALL_EVENTS, eventDeliverySettings, type EventDeliverySettings } from './eventMask.js';

export interface EmitOptions {
  subtype?: number;
  sessionId?: number;
  handleId?: number;
  opaqueId?: string;
}

const BATCH = 100;
const MAX_QUEUE = 10_000;
const MAX_RETRIES = 5;
const BACKOFF_MS = 100;
const POST_TIMEOUT_MS = 10_000;

/**
 * Posts event-handler events to the webhook, as Janus's sample handler does: only the types of its
 * `events` mask; with `grouping`, up to 100 per POST as a JSON array, else one object per POST;
 * retried with exponential backoff. Emitting only enqueues: nothing on the API path awaits the
 * webhook. The queue is bounded; when the webhook is down for long, the oldest events are dropped and
 * counted rather than growing memory.
 */
export class EventSink {
  private queue: HandlerEvent[] = [];
  private flushing = false;
  dropped = 0;
  posted = 0;

  constructor(
    private readonly url: string | undefined,
    private readonly emitter: string,
    private readonly log: Logger,
    /**
     * The configured delivery (an admin tweak in this isolate overrides it), or a function giving the
     * delivery in force, for an object that follows the shared settings itself.
     */
    private readonly configured: EventDeliverySettings | (() => EventDeliverySettings) = {
      mask: ALL_EVENTS,
      grouping: true,
    },
  ) {}

  private delivery(): EventDeliverySettings {
    return typeof this.configured === 'function' ? this.configured() : eventDeliverySettings(this.configured);
  }

  get enabled(): boolean {
    return this.url !== undefined;
  }

  emit(type: number, event: Record<string, unknown>, opts: EmitOptions = {}): void {
    if (!this.url) return;
    if ((type & this.delivery().mask) === 0) return;
    const e: HandlerEvent = { emitter: this.emitter, type, timestamp: Date.now() * 1000, event };
    if (opts.subtype) e.subtype = opts.subtype;
    if (opts.sessionId) e.session_id = opts.sessionId;
    if (opts.handleId) e.handle_id = opts.handleId;
    if (opts.opaqueId) e.opaque_id = opts.opaqueId;
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(e);
    if (!this.flushing) void this.flush();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      // Let the current request finish queueing its events so they travel together.
      await Promise.resolve();
      while (this.queue.length > 0) {
        const { grouping } = this.delivery();
        const batch = this.queue.splice(0, grouping ? BATCH : 1);
        await this.post(batch, grouping);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async post(batch: HandlerEvent[], grouping: boolean): Promise<void> {
    const url = this.url;
    if (url === undefined) return;
    const body = JSON.stringify(grouping ? batch : batch[0]);
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
      try {
        // Like Janus's sample handler (curl timeout 10 s): a webhook that never answers is a failed attempt.
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        });
        await res.body?.cancel();
        if (res.ok) {
          this.posted += batch.length;
          return;
        }
      } catch {
        // retried below
      }
      if (attempt < MAX_RETRIES) await sleep(BACKOFF_MS * 2 ** attempt);
    }
    this.dropped += batch.length;
    this.log.warn('event webhook unreachable; batch dropped', { events: batch.length });
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
