/**
 * Fill-first placement through the real Worker in workerd: WebSockets and HTTP sessions go to the
 * lowest shard until it holds SHARD_FILL sessions and sockets, then to the next, so a small
 * deployment keeps one shard object resident instead of one per client (issue 12's cost model).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import { JanusHttp, RawWs, startSignallingStack, tx } from './support/janus.js';

const SHARDS = 16;
let stack: Stack;
let api: JanusHttp;

beforeAll(async () => {
  stack = await startSignallingStack({ SHARD_FILL: '3', SHARD_COUNT: String(SHARDS), LOG_LEVEL: 'error' });
  api = new JanusHttp(stack.httpUrl, stack.adminUrl);
});

afterAll(async () => {
  await stack?.stop();
});

async function wsSession(ws: RawWs): Promise<number> {
  const created = await ws.request({ janus: 'create' });
  return (created.data as { id: number }).id;
}

describe('fill-first session shards (SHARD_FILL=3)', () => {
  it('sockets and sessions fill shard 0 first, then shard 1; every session works where it landed', async () => {
    const sockets: RawWs[] = [];
    try {
      // shard 0: a socket and its session (2), a second socket (3) and its session (4: over the fill)
      const ws1 = await RawWs.open(stack.wsUrl);
      sockets.push(ws1);
      const s1 = await wsSession(ws1);
      const ws2 = await RawWs.open(stack.wsUrl);
      sockets.push(ws2);
      const s2 = await wsSession(ws2);
      expect([s1 % SHARDS, s2 % SHARDS]).toEqual([0, 0]);
      // shard 0 is full: the next socket is sent on to shard 1, and so is an HTTP session
      const ws3 = await RawWs.open(stack.wsUrl);
      sockets.push(ws3);
      const s3 = await wsSession(ws3);
      expect(s3 % SHARDS).toBe(1);
      const h1 = await api.create();
      expect(h1 % SHARDS).toBe(1);
      for (const [ws, sid] of [
        [ws1, s1],
        [ws3, s3],
      ] as const) {
        const r = await ws.request({ janus: 'keepalive', session_id: sid });
        expect(r.janus).toBe('ack');
      }
      expect((await api.janus(`/${h1}`, { janus: 'keepalive', transaction: tx() })).body.janus).toBe('ack');
      const listed = await api.listSessions();
      for (const sid of [s1, s2, s3, h1]) expect(listed).toContain(sid);
      await api.destroy(h1);
    } finally {
      for (const ws of sockets) await ws.close();
    }
  });
});
