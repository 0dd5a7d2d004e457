/** One call from a plugin's room object to a handle of a shard (`SessionShardApi.pluginCalls`). */
export interface PluginCallTo {
  sessionId: number;
  handleId: number;
  call: unknown;
}

/** What became of one call: delivered (true), no such handle on the shard (false), or its handler threw. */
export type PluginCallOutcome = boolean | { failed: string };

interface Queued {
  to: PluginCallTo;
  resolve: (delivered: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers a room's calls to handles per shard within one turn and sends each shard one RPC for them,
 * in the order they were made. Why: a room tells every participant of a join, a publish or a leave,
 * one RPC each, and sessions fill one shard first, so under churn those RPCs were a tenth of the
 * edge's CPU; one RPC per shard and turn also serializes a payload every participant shares once.
 * Each call still resolves on its own: delivered, false for a handle the shard does not have, or
 * rejected when the shard could not be reached or the handle's plugin failed.
 */
export class PluginCallBatcher {
  private readonly queued = new Map<number, Queued[]>();

  constructor(
    private readonly shardOf: (sessionId: number) => number,
    private readonly send: (shard: number, calls: PluginCallTo[]) => Promise<PluginCallOutcome[]>,
  ) {}

  call(to: { sessionId: number; handleId: number }, call: unknown): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const shard = this.shardOf(to.sessionId);
      let q = this.queued.get(shard);
      if (!q) {
        this.queued.set(shard, (q = []));
        // after the calls of this turn (a broadcast loops over the participants synchronously)
        queueMicrotask(() => this.flush(shard));
      }
      q.push({ to: { sessionId: to.sessionId, handleId: to.handleId, call }, resolve, reject });
    });
  }

  private flush(shard: number): void {
    const q = this.queued.get(shard);
    if (!q) return;
    this.queued.delete(shard);
    let sent: Promise<PluginCallOutcome[]>;
    try {
      sent = this.send(
        shard,
        q.map((e) => e.to),
      );
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (outcomes) =>
        q.forEach((e, i) => {
          const o = outcomes[i];
          if (typeof o === 'boolean') e.resolve(o);
          else e.reject(new Error(o?.failed ?? 'no outcome for this call'));
        }),
      (err: unknown) => {
        for (const e of q) e.reject(err);
      },
    );
  }
}
