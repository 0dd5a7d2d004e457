import { describe, expect, it } from 'vitest';
import { relayA } from '../videoroom/harness.js';
import { av, StreamingHarness } from './harness.js';

describe('Streaming mountpoints (sync API over an in-memory host)', () => {
  it('create opens the ports on the relay and answers as Janus; list hides private ones; info shows more with the secret', async () => {
    const h = new StreamingHarness();
    const created = await h.streaming.sync(
      'create',
      { type: 'rtp', id: 5, description: 'd', secret: 's', pin: 'p', media: av },
      relayA,
    );
    expect(created).toEqual({
      streaming: 'created',
      created: 'mp-5',
      permanent: false,
      stream: {
        id: 5,
        type: 'live',
        description: 'd',
        is_private: false,
        host: '192.0.2.7',
        ports: [
          { type: 'audio', mid: 'a', port: 30000 },
          { type: 'video', mid: 'v', port: 30001 },
        ],
      },
    });
    expect(h.relays.of('streaming.create')[0]!.cmd.media).toMatchObject([
      { type: 'audio', mid: 'a', mindex: 0, port: 0, codec: 'opus' },
      { type: 'video', mid: 'v', mindex: 1, port: 0, codec: 'vp8', bufferKeyframe: true },
    ]);
    await h.streaming.sync('create', { type: 'rtp', id: 6, is_private: true, media: av });
    const list = await h.streaming.sync('list', {});
    expect((list.list as Array<{ id: number }>).map((m) => m.id)).toEqual([5]);
    const partial = (await h.streaming.sync('info', { id: 5 })).info as Record<string, unknown>;
    expect(partial.secret).toBeUndefined();
    expect((partial.media as Array<Record<string, unknown>>)[0]!.port).toBeUndefined();
    const full = (await h.streaming.sync('info', { id: 5, secret: 's' })).info as Record<string, unknown>;
    expect(full).toMatchObject({ id: 5, name: 'mp-5', secret: 's', pin: 'p', viewers: 0, enabled: true });
    expect((full.media as Array<Record<string, unknown>>)[1]).toMatchObject({
      mid: 'v',
      port: 30001,
      rtpmap: 'VP8/90000',
      age_ms: 20,
    });
  });

  it('bad input answers Janus codes and changes nothing (no relay command, nothing saved)', async () => {
    const h = new StreamingHarness();
    await h.streaming.sync('create', { type: 'rtp', id: 1, secret: 's', media: av });
    const sent = h.relays.sent.length;
    const saved = structuredClone([...h.stored.entries()]);
    const cases: Array<[Parameters<typeof h.code>[0], Record<string, unknown>, number]> = [
      ['create', { type: 'rtsp', id: 2, url: 'rtsp://x' }, 456],
      ['create', { type: 'live', id: 2 }, 456],
      ['create', { type: 'bogus', id: 2 }, 454],
      ['create', { id: 2, media: av }, 453],
      ['create', { type: 'rtp', id: 'x', media: av }, 454],
      ['create', { type: 'rtp', id: 2 }, 456],
      ['create', { type: 'rtp', id: 1, media: av }, 456],
      ['create', { type: 'rtp', id: 2, permanent: true, media: av }, 456],
      ['create', { type: 'rtp', id: 2, media: [{ type: 'audio', port: 0, pt: 111, codec: 'opus' }] }, 453],
      [
        'create',
        { type: 'rtp', id: 2, media: [{ type: 'audio', mid: 'a', pt: 111, codec: 'opus', simulcast: true }] },
        456,
      ],
      ['create', { type: 'rtp', id: 2, media: [{ type: 'video', mid: 'v', pt: 100, codec: 'vp8', svc: true }] }, 456],
      [
        'create',
        { type: 'rtp', id: 2, media: [{ type: 'video', mid: 'v', pt: 100, codec: 'vp8', srtpsuite: 80 }] },
        456,
      ],
      ['create', { type: 'rtp', id: 2, media: [{ type: 'data', mid: 'd', datatype: 'json' }] }, 454],
      ['create', { type: 'rtp', id: 2, datatype: 'json', media: [{ type: 'data', mid: 'd' }] }, 454],
      [
        'create',
        { type: 'rtp', id: 2, srtpsuite: 33, srtpcrypto: 'WbTBosdVUZqEb6Htqhn+m3z7wUh4RJVR8nE15GbN', media: av },
        456,
      ],
      ['create', { type: 'rtp', id: 2, srtpsuite: 80, srtpcrypto: 'YWJj', media: av }, 456],
      ['create', { type: 'rtp', id: 2, srtpsuite: 80, media: av }, 453],
      ['create', { type: 'rtp', id: 2, media: [{ ...av[1], mcast: '10.0.0.1' }] }, 456],
      ['create', { type: 'rtp', id: 2, media: [{ type: 'video', mid: 'v', port: 0 }] }, 456],
      ['create', { type: 'rtp', id: 2, media: [{ type: 'video', mid: 'v', port: 70000, pt: 100, codec: 'vp8' }] }, 454],
      ['create', { type: 'rtp', id: 2, media: [av[0], { ...av[1], mid: 'a' }] }, 456],
      ['create', { type: 'rtp', id: 2, audio: true, audioport: 5002, media: av }, 456],
      ['info', {}, 453],
      ['info', { id: 99 }, 455],
      ['destroy', { id: 1 }, 453],
      ['destroy', { id: 1, secret: 'x' }, 457],
      ['edit', { id: 1, secret: 'x', new_description: 'n' }, 457],
      ['edit', { id: 1, secret: 's', new_description: 5 }, 454],
      ['enable', { id: 1 }, 453],
      ['disable', { id: 99, secret: 's' }, 455],
      ['kick', { id: 1, secret: 's' }, 453],
      ['kick', { id: 1, secret: 's', viewer: 77 }, 455],
      ['kick_all', { id: 1, secret: 'x' }, 457],
      ['recording', { id: 1, secret: 's', action: 'start' }, 452], // nothing named to record
    ];
    for (const [request, body, code] of cases)
      expect([request, body, await h.code(request, body)]).toEqual([request, body, code]);
    expect(h.relays.sent.length).toBe(sent);
    expect([...h.stored.entries()]).toEqual(saved);
  });

  it('a refused relay (no ports) creates nothing', async () => {
    const h = new StreamingHarness();
    h.relays.failing.set('streaming.create', 499);
    expect(await h.code('create', { type: 'rtp', id: 3, media: av })).toBe(499);
    expect(h.streaming.mounts.all.size).toBe(0);
    expect(h.stored.size).toBe(0);
  });

  it('edit, disable and enable change the stored mountpoint; destroy closes it on its relay', async () => {
    const h = new StreamingHarness();
    await h.streaming.sync('create', { type: 'rtp', id: 4, secret: 's', media: av });
    expect(await h.streaming.sync('edit', { id: 4, secret: 's', new_description: 'nd', new_pin: 'q' })).toEqual({
      streaming: 'edited',
      id: 4,
      permanent: false,
    });
    expect(h.stored.get(4)).toMatchObject({ description: 'nd', pin: 'q' });
    await h.streaming.sync('edit', { id: 4, secret: 's', new_pin: '' });
    expect(h.stored.get(4)!.pin).toBeUndefined();
    expect(await h.streaming.sync('kick_all', { id: 4, secret: 's' })).toEqual({ streaming: 'kicked_all' });
    expect(await h.streaming.sync('disable', { id: 4, secret: 's' })).toEqual({ streaming: 'ok' });
    expect(h.stored.get(4)!.enabled).toBe(false);
    await h.streaming.sync('enable', { id: 4, secret: 's' });
    expect(h.stored.get(4)!.enabled).toBe(true);
    expect(await h.streaming.sync('destroy', { id: 4, secret: 's' })).toEqual({ streaming: 'destroyed', destroyed: 4 });
    expect(h.relays.of('streaming.destroy')).toHaveLength(1);
    expect(h.stored.has(4)).toBe(false);
  });

  it('mountpoints survive eviction: a new object restored from storage has them, viewers and all', async () => {
    const h = new StreamingHarness();
    await h.streaming.sync('create', { type: 'rtp', id: 8, pin: 'p', media: av });
    await h.streaming.viewers.watch({ sessionId: 1, handleId: 2 }, 8, 'p', relayA);
    const restored = new StreamingHarness([...h.stored.values()]);
    const info = (await restored.streaming.sync('info', { id: 8 })).info as Record<string, unknown>;
    expect(info).toMatchObject({ id: 8, viewers: 1 });
    expect(restored.streaming.mounts.get(8).key).toEqual(h.streaming.mounts.get(8).key);
  });

  it('event handlers hear created, kicked_all and destroyed as from Janus 1.1.2, naming the requester', async () => {
    const h = new StreamingHarness();
    const from = { sessionId: 1, handleId: 2 };
    await h.streaming.sync('create', { type: 'rtp', id: 11, media: av }, relayA, from);
    await h.streaming.sync('kick_all', { id: 11 }, undefined, from);
    await h.streaming.sync('destroy', { id: 11 });
    // refused requests tell nobody
    await h.code('destroy', { id: 11 });
    expect(h.handlerEvents).toEqual([
      { data: { event: 'created', id: 11, type: 'live' }, from },
      { data: { event: 'kicked_all', id: 11 }, from },
      { data: { event: 'destroyed', id: 11 } },
    ]);
  });
});
