import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../../edge/core/clientLimits.js';
import type { EnvVars } from '../../../edge/config.js';
import type { Source } from '../../../edge/core/session.js';
import { OFFER, ShardHarness } from './harness.js';

const from = (address: string): Source => ({ kind: 'http', address });

/** A shard whose sessions ask for PeerConnections with offers (the recording plugin's `open`). */
async function shard(vars: EnvVars) {
  const h = await new ShardHarness(vars).start();
  /** An offer that opens a PeerConnection, or (`renegotiate`) one on the PeerConnection the handle has. */
  const offer = (sid: number, hid: number, origin: Source = { kind: 'http' }, renegotiate = false) =>
    h.request(
      {
        janus: 'message',
        session_id: sid,
        handle_id: hid,
        body: renegotiate ? {} : { request: 'open' },
        jsep: { type: 'offer', sdp: OFFER },
      },
      origin,
    );
  return { h, offer };
}

const errorOf = (m: Record<string, unknown>) => (m.error ?? {}) as { code?: number; reason?: string };

describe('token buckets', () => {
  it('allow a burst, then the refill rate; a refilled bucket is as good as a new one', () => {
    const b = new TokenBuckets<string>({ perSecond: 2, burst: 3 });
    expect([1, 2, 3, 4].map(() => b.take('a', 0))).toEqual([true, true, true, false]);
    expect(b.take('b', 0)).toBe(true); // another key has its own bucket
    expect(b.take('a', 499)).toBe(false);
    expect(b.take('a', 500)).toBe(true);
    expect([1, 2, 3, 4].map(() => b.take('a', 10_000))).toEqual([true, true, true, false]);
  });

  it('0 per second is no limit', () => {
    const b = new TokenBuckets<string>({ perSecond: 0, burst: 1 });
    expect([1, 2, 3].every(() => b.take('a', 0))).toBe(true);
  });
});

describe('the client address a plugin sees (per-address limits of plugins: VideoRoom remote publishers)', () => {
  it('a message carries the address of the request, else the one the session was created from', async () => {
    const { h } = await shard({});
    const sid = await h.create(from('198.51.100.1'));
    const hid = await h.attach(sid);
    const ask = async (origin: Source) => {
      const r = await h.request(
        { janus: 'message', session_id: sid, handle_id: hid, body: { request: 'address' } },
        origin,
      );
      return (r.plugindata as { data: unknown }).data;
    };
    expect(await ask(from('203.0.113.5'))).toEqual({ address: '203.0.113.5' });
    expect(await ask({ kind: 'http' })).toEqual({ address: '198.51.100.1' });
  });
});

describe('client limits on the shard', () => {
  it('a session holds at most MAX_PEERS_PER_SESSION PeerConnections: 490, and the plugin never hears of the offer', async () => {
    const { h, offer } = await shard({ MAX_PEERS_PER_SESSION: '2' });
    const sid = await h.create();
    const handles = [await h.attach(sid), await h.attach(sid), await h.attach(sid)];
    expect((await offer(sid, handles[0]!)).janus).toBe('success');
    expect((await offer(sid, handles[1]!)).janus).toBe('success');
    const before = {
      calls: h.plugin.calls.length,
      peers: h.core.counts().peerconnections,
      sent: h.relays.commands.length,
    };
    const refused = await offer(sid, handles[2]!);
    expect(errorOf(refused)).toEqual({ code: 490, reason: 'Too many PeerConnections in this session (at most 2)' });
    expect({
      calls: h.plugin.calls.length,
      peers: h.core.counts().peerconnections,
      sent: h.relays.commands.length,
    }).toEqual(before);
    // A renegotiation of a PeerConnection the session has is not a new one.
    expect((await offer(sid, handles[0]!, undefined, true)).janus).toBe('success');
    // Hanging one up frees its place.
    await h.request({ janus: 'hangup', session_id: sid, handle_id: handles[0] });
    expect((await offer(sid, handles[2]!)).janus).toBe('success');
  });

  it('a session sends at most OFFER_BURST_PER_SESSION offers at once, then OFFERS_PER_SECOND_PER_SESSION', async () => {
    const { h, offer } = await shard({ OFFERS_PER_SECOND_PER_SESSION: '1', OFFER_BURST_PER_SESSION: '3' });
    const sid = await h.create();
    const hid = await h.attach(sid);
    const other = await h.create();
    const otherHandle = await h.attach(other);
    for (let i = 0; i < 3; i++) expect((await offer(sid, hid, undefined, i > 0)).janus).toBe('success');
    const calls = h.plugin.calls.length;
    expect(errorOf(await offer(sid, hid, undefined, true))).toEqual({
      code: 490,
      reason: 'Too many offers from this session (at most 1/s)',
    });
    expect(h.plugin.calls.length).toBe(calls);
    // Another session is not affected, and the bucket refills.
    expect((await offer(other, otherHandle)).janus).toBe('success');
    h.clock.advance(1000);
    expect((await offer(sid, hid, undefined, true)).janus).toBe('success');
  });

  it('a client address holds at most MAX_PEERS_PER_ADDRESS over all its sessions; another address is not affected', async () => {
    const { h, offer } = await shard({ MAX_PEERS_PER_ADDRESS: '2', MAX_PEERS_PER_SESSION: '0' });
    const s1 = await h.create(from('198.51.100.7'));
    const s2 = await h.create(from('198.51.100.7'));
    const s3 = await h.create(from('203.0.113.9'));
    const [a, b, c, d] = [await h.attach(s1), await h.attach(s2), await h.attach(s2), await h.attach(s3)];
    expect((await offer(s1, a, from('198.51.100.7'))).janus).toBe('success');
    expect((await offer(s2, b, from('198.51.100.7'))).janus).toBe('success');
    const peers = h.core.counts().peerconnections;
    expect(errorOf(await offer(s2, c, from('198.51.100.7')))).toEqual({
      code: 490,
      reason: 'Too many PeerConnections from this client address (at most 2)',
    });
    expect(h.core.counts().peerconnections).toBe(peers);
    expect((await offer(s3, d, from('203.0.113.9'))).janus).toBe('success');
    // A PeerConnection that closed is found by the recount: its place is free again.
    await h.request({ janus: 'destroy', session_id: s1 });
    await h.settle();
    expect((await offer(s2, c, from('198.51.100.7'))).janus).toBe('success');
  });

  it('a client address sends at most OFFER_BURST_PER_ADDRESS offers at once over all its sessions', async () => {
    const { h, offer } = await shard({
      OFFERS_PER_SECOND_PER_ADDRESS: '2',
      OFFER_BURST_PER_ADDRESS: '4',
      OFFERS_PER_SECOND_PER_SESSION: '0',
    });
    const flood: [number, number][] = [];
    for (let i = 0; i < 6; i++) {
      const sid = await h.create(from('198.51.100.7'));
      flood.push([sid, await h.attach(sid)]);
    }
    const codes: (string | number | undefined)[] = [];
    for (const [sid, hid] of flood) {
      const r = await offer(sid, hid, from('198.51.100.7'));
      codes.push(r.janus === 'error' ? errorOf(r).code : r.janus);
    }
    expect(codes).toEqual(['success', 'success', 'success', 'success', 490, 490]);
    expect(h.core.counts().peerconnections).toBe(4);
    const calm = await h.create(from('203.0.113.9'));
    expect((await offer(calm, await h.attach(calm), from('203.0.113.9'))).janus).toBe('success');
  });
});
