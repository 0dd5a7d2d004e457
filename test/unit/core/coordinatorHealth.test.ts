import { describe, expect, it } from 'vitest';
import { app } from '../../../edge/app.js';
import type { Env } from '../../../edge/env.js';
import type { RelayEntry } from '../../../edge/relays/directory.js';

/**
 * `/health` through the Worker's own routes, over namespaces that record which objects it reaches: an
 * uptime monitor polling it must wake the core coordinator only, never the session shards.
 */
function makeEnv() {
  const reached: string[] = [];
  /** What was asked of the core: `counts` is the call that wakes every shard. */
  const coreCalls: string[] = [];
  const relays: RelayEntry[] = [
    { relayId: 'r1', region: 'eu', address: '10.0.0.1', capacity: 10, load: 0.1, peers: 1, linkId: 'l1' },
  ];
  const namespace = (kind: string, object: (name: string) => unknown) => ({
    idFromName: (name: string) => name,
    get: (name: string) => {
      reached.push(`${kind} ${name}`);
      return object(name);
    },
  });
  const env = {
    SHARD_COUNT: '4',
    LOG_LEVEL: 'silent',
    CORE: namespace('core', () => ({
      listRelays: async () => (coreCalls.push('listRelays'), relays),
      counts: async () => (coreCalls.push('counts'), { sessions: 4, handles: 8, peerconnections: 2 }),
    })),
    SESSION_SHARD: namespace('shard', () => ({
      counts: async () => ({ sessions: 1, handles: 2, peerconnections: 0 }),
    })),
  } as unknown as Env;
  return { env, reached, coreCalls, relays };
}

describe('/health', () => {
  it('answers from the core coordinator alone: the relays it knows, no counts, no shard woken', async () => {
    const { env, reached, coreCalls, relays } = makeEnv();
    const res = await app.request('/health', {}, env);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', shards: 4, relays });
    expect(typeof body.eventLoopLagMs).toBe('number');
    expect(body).not.toHaveProperty('sessions');
    expect(reached.every((r) => r.startsWith('core'))).toBe(true);
    expect(coreCalls).toEqual(['listRelays']);
  });

  it('adds the exact counts summed from every shard when asked (?counts=1)', async () => {
    const { env, coreCalls } = makeEnv();
    const res = await app.request('/health?counts=1', {}, env);
    expect(coreCalls.sort()).toEqual(['counts', 'listRelays']);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', sessions: 4, handles: 8, peerconnections: 2, shards: 4 });
  });

  it('refuses a counts value it does not know, rather than ignoring it', async () => {
    const { env } = makeEnv();
    const res = await app.request('/health?counts=yes', {}, env);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error' });
  });
});
