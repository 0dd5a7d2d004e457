import { describe, expect, it } from 'vitest';
import { relayA, relayB } from '../videoroom/harness.js';
import { av, StreamingHarness } from './harness.js';

const viewer = (n: number) => ({ sessionId: 1000 + n, handleId: 2000 + n });

async function withMountpoint(body: Record<string, unknown> = {}) {
  const h = new StreamingHarness();
  await h.streaming.sync('create', { type: 'rtp', id: 9, media: av, ...body }, relayA);
  return h;
}

async function refusal(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

describe('Streaming viewers and cascades (over an in-memory host)', () => {
  it('watch checks the pin (453/457), a disabled mountpoint (455), watching twice (460)', async () => {
    const h = await withMountpoint({ pin: 'p', secret: 's' });
    const v = h.streaming.viewers;
    expect(await refusal(v.watch(viewer(1), 9, undefined, relayA))).toBe(453);
    expect(await refusal(v.watch(viewer(1), 9, 'x', relayA))).toBe(457);
    expect(await refusal(v.watch(viewer(1), 99, 'p', relayA))).toBe(455);
    const plan = await v.watch(viewer(1), 9, 'p', relayA);
    expect(plan.streams.map((s) => s.mid)).toEqual(['a', 'v']);
    expect(plan.feedKey).toBe('100:101');
    expect(await refusal(v.watch(viewer(1), 9, 'p', relayA))).toBe(460);
    await h.streaming.sync('disable', { id: 9, secret: 's' });
    expect(await refusal(v.watch(viewer(2), 9, 'p', relayA))).toBe(455);
  });

  it('viewers on another relay share one cascade, closed with the last of them; none for viewers at home', async () => {
    const h = await withMountpoint();
    const v = h.streaming.viewers;
    await v.watch(viewer(0), 9, undefined, relayA);
    expect(h.relays.of('sfu.remoteAdd')).toHaveLength(0);
    // two far viewers at once share the cascade being opened
    await Promise.all([v.watch(viewer(1), 9, undefined, relayB), v.watch(viewer(2), 9, undefined, relayB)]);
    await v.watch(viewer(3), 9, undefined, relayB);
    const adds = h.relays.of('sfu.remoteAdd');
    expect(adds).toHaveLength(1);
    expect(adds[0]!.relay).toEqual(relayB);
    expect(adds[0]!.cmd).toMatchObject({
      sessionId: 100,
      handleId: 101,
      streams: [
        { mid: 'a', mindex: 0, codec: 'opus' },
        { mid: 'v', mindex: 1, codec: 'vp8' },
      ],
    });
    const forwards = h.relays.of('sfu.forward');
    expect(forwards).toHaveLength(1);
    expect(forwards[0]!.relay).toEqual(relayA);
    expect(forwards[0]!.cmd.streams.map((s) => [s.mid, s.ssrc, s.nack ?? false])).toEqual([
      ['a', 1000, false],
      ['v', 1010, true],
    ]);
    v.leave(viewer(1));
    v.leave(viewer(2));
    expect(h.relays.of('sfu.remoteRemove')).toHaveLength(0);
    v.leave(viewer(3));
    await Promise.resolve();
    expect(h.relays.of('sfu.remoteRemove')).toHaveLength(1);
    expect(h.relays.of('sfu.stopForward')).toHaveLength(2);
    expect(h.stored.get(9)!.cascades).toEqual([]);
    expect(h.stored.get(9)!.viewers.map((x) => x.handleId)).toEqual([2000]);
  });

  it('a cascade that fails to open leaves no viewer and nothing behind on either relay', async () => {
    const h = await withMountpoint();
    h.relays.failing.set('sfu.forward', 499);
    expect(await refusal(h.streaming.viewers.watch(viewer(1), 9, undefined, relayB))).toBe(499);
    await Promise.resolve();
    expect(h.relays.of('sfu.remoteRemove')).toHaveLength(1);
    expect(h.stored.get(9)!.viewers).toEqual([]);
  });

  it('switch moves a viewer to another mountpoint (455 when it watches none); kick and destroy tell viewers', async () => {
    const h = await withMountpoint({ secret: 's' });
    await h.streaming.sync('create', { type: 'rtp', id: 10, media: av }, relayA);
    const v = h.streaming.viewers;
    expect(await refusal(v.switchTo(viewer(1), 10))).toBe(455);
    await v.watch(viewer(1), 9, undefined, relayB);
    const plan = await v.switchTo(viewer(1), 10);
    expect(plan.id).toBe(10);
    expect(h.stored.get(9)!.viewers).toEqual([]);
    expect(h.stored.get(10)!.viewers.map((x) => x.handleId)).toEqual([2001]);
    // the old mountpoint's cascade went, the new one's came
    expect(h.relays.of('sfu.remoteAdd')).toHaveLength(2);
    expect(h.relays.of('sfu.remoteRemove')).toHaveLength(1);
    await v.watch(viewer(2), 9, undefined, relayA);
    await v.watch(viewer(3), 9, undefined, relayA);
    expect(await h.streaming.sync('kick', { id: 9, secret: 's', viewer: 2002 })).toEqual({
      streaming: 'kicked',
      id: 9,
      viewer: 2002,
    });
    expect(h.told.map((t) => t.to.handleId)).toEqual([2002]);
    await h.streaming.sync('destroy', { id: 9, secret: 's' });
    expect(h.told.map((t) => t.to.handleId)).toEqual([2002, 2003]);
  });

  it('relay links in use are watched; losing a far relay drops its viewers and cascade, losing the home removes the mountpoint', async () => {
    const h = await withMountpoint();
    const v = h.streaming.viewers;
    expect([...h.watched]).toEqual(['link-a']);
    await v.watch(viewer(1), 9, undefined, relayB);
    await v.watch(viewer(2), 9, undefined, relayA);
    expect([...h.watched].sort()).toEqual(['link-a', 'link-b']);
    await v.relayLost('link-b');
    expect(h.stored.get(9)!.viewers.map((x) => x.handleId)).toEqual([2002]);
    expect(h.stored.get(9)!.cascades).toEqual([]);
    expect([...h.watched]).toEqual(['link-a']);
    await v.relayLost('link-a');
    expect(h.stored.has(9)).toBe(false);
    expect(h.told.map((t) => [t.to.handleId, t.call.kind])).toEqual([[2002, 'st.removed']]);
    expect([...h.watched]).toEqual([]);
    expect(await refusal(v.watch(viewer(3), 9, undefined, relayA))).toBe(455);
  });
});
