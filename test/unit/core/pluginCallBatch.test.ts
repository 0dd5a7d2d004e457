import { describe, expect, it } from 'vitest';
import { shardOf } from '../../../edge/core/ids.js';
import { PluginCallBatcher, type PluginCallOutcome, type PluginCallTo } from '../../../edge/core/pluginCallBatch.js';
import type { HandleContext } from '../../../edge/plugins/plugin.js';
import { RecordingPlugin, SHARDS, ShardHarness } from './harness.js';

/** A plugin that records the room calls its handles get, and fails those that ask it to. */
class CalledPlugin extends RecordingPlugin {
  readonly internal: string[] = [];
  handleInternal(ctx: HandleContext, call: unknown): void {
    const c = call as { n: number; fail?: boolean };
    this.internal.push(`${ctx.handleId}:${c.n}`);
    if (c.fail) throw new Error(`call ${c.n} failed`);
  }
}

/** A shard with two handles, and a batcher that sends to it (and records every batch it sends). */
async function setup() {
  const plugin = new CalledPlugin();
  const t = await new ShardHarness({}, undefined, [plugin]).start();
  const sid = await t.create();
  const a = await t.attach(sid);
  const b = await t.attach(sid);
  const sent: { shard: number; calls: PluginCallTo[] }[] = [];
  const batcher = new PluginCallBatcher(
    (sessionId) => shardOf(sessionId, SHARDS),
    (shard, calls) => {
      sent.push({ shard, calls });
      // as over RPC: the shard sees a copy
      return t.core.requests.pluginCalls(structuredClone(calls));
    },
  );
  return { t, plugin, sid, a, b, sent, batcher };
}

const outcome = (p: Promise<boolean>) => p.then(String, (e: Error) => `rejected: ${e.message}`);

describe('PluginCallBatcher', () => {
  it('sends the calls of one turn to a shard in one batch, in order, each with its own outcome', async () => {
    const { plugin, sid, a, b, sent, batcher } = await setup();
    const results = [
      batcher.call({ sessionId: sid, handleId: a }, { n: 1 }),
      batcher.call({ sessionId: sid, handleId: b }, { n: 2, fail: true }),
      batcher.call({ sessionId: sid, handleId: 999 }, { n: 3 }),
      batcher.call({ sessionId: sid, handleId: b }, { n: 4 }),
    ].map(outcome);
    expect(await Promise.all(results)).toEqual(['true', 'rejected: call 2 failed', 'false', 'true']);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.shard).toBe(shardOf(sid, SHARDS));
    expect(plugin.internal).toEqual([`${a}:1`, `${b}:2`, `${b}:4`]);
  });

  it('sends one batch per shard, and a later turn its own', async () => {
    const { plugin, sid, a, sent, batcher } = await setup();
    const other = sid + 1; // the next shard's id space: no such session there, so false
    const first = [
      batcher.call({ sessionId: sid, handleId: a }, { n: 1 }),
      batcher.call({ sessionId: other, handleId: 1 }, { n: 2 }),
    ];
    expect(await Promise.all(first)).toEqual([true, false]);
    expect(sent.map((s) => s.shard)).toEqual([shardOf(sid, SHARDS), shardOf(other, SHARDS)]);
    expect(await batcher.call({ sessionId: sid, handleId: a }, { n: 3 })).toBe(true);
    expect(sent).toHaveLength(3);
    expect(plugin.internal).toEqual([`${a}:1`, `${a}:3`]);
  });

  it('rejects every call of a batch that could not be sent', async () => {
    const failing = new PluginCallBatcher(
      () => 0,
      async (): Promise<PluginCallOutcome[]> => {
        throw new Error('shard unreachable');
      },
    );
    const results = [failing.call({ sessionId: 1, handleId: 1 }, {}), failing.call({ sessionId: 1, handleId: 2 }, {})];
    expect(await Promise.all(results.map(outcome))).toEqual([
      'rejected: shard unreachable',
      'rejected: shard unreachable',
    ]);
  });
});
