import { describe, expect, it } from 'vitest';
import defaultMountpoints from '../../../config/streaming.mountpoints.json';
import {
  parseStaticMountpoints,
  type StaticMountpoints,
} from '../../../edge/plugins/streaming/staticMountpointConfig.js';
import type { MountpointState } from '../../../edge/plugins/streaming/state.js';
import { Streaming } from '../../../edge/plugins/streaming/streaming.js';
import { av } from './harness.js';
import { rtspHarness } from './rtspHarness.js';

const configured = parseStaticMountpoints([
  { type: 'rtp', id: 1, description: 'configured rtp', media: av },
  { type: 'rtsp', id: 2, url: 'rtsp://cam.example/live', video: true, secret: 'adminpwd' },
]);

/** The Streaming logic as the Durable Object builds it: stored mountpoints, configured ones, tombstones. */
function streamingOf(
  configs: StaticMountpoints,
  stored: MountpointState[] = [],
  tombstones: Record<string, string> = {},
  adminKey?: string,
) {
  const h = rtspHarness();
  if (adminKey !== undefined) h.adminKey = adminKey;
  const saved: Array<Record<string, string>> = [];
  const s = new Streaming(h, stored, { configured: configs, tombstones, store: { save: (t) => saved.push({ ...t }) } });
  return { h, s, saved };
}

const ids = async (s: Streaming) => ((await s.sync('list', {})).list as Array<{ id: number }>).map((m) => m.id);

describe('Streaming static mountpoints (janus.plugin.streaming.jcfg mountpoint sections)', () => {
  it('ships none, and refuses a configuration create would refuse, an admin_key, permanent or a duplicate id', () => {
    expect([...parseStaticMountpoints(defaultMountpoints).values()]).toEqual([]);
    expect(() => parseStaticMountpoints({ id: 1 })).toThrow(/JSON array/);
    expect(() => parseStaticMountpoints([{ type: 'rtp', media: av }])).toThrow(/#0.*id/s);
    expect(() => parseStaticMountpoints([{ type: 'rtp', id: 1 }])).toThrow(/#0.*no audio or video.*456/s);
    expect(() => parseStaticMountpoints([{ type: 'rtp', id: 1, media: av, admin_key: 'k' }])).toThrow(/#0.*admin_key/);
    expect(() => parseStaticMountpoints([{ type: 'rtp', id: 1, media: av, permanent: true }])).toThrow(/#0.*permanent/);
    expect(() => parseStaticMountpoints([{ type: 'rtsp', id: 1, video: true }])).toThrow(/#0.*missing url/);
    expect(() => parseStaticMountpoints([{ type: 'file', id: 1 }])).toThrow(/#0.*Unknown stream type/);
    expect(() =>
      parseStaticMountpoints([
        { type: 'rtp', id: 1, media: av },
        { type: 'rtp', id: 1, media: av },
      ]),
    ).toThrow(/#1: mountpoint 1 is configured twice/);
  });

  it('creates the configured mountpoints once, with the plugin’s admin key, before a request looks', async () => {
    const { h, s } = streamingOf(configured, [], {}, 'supersecret');
    await s.statics.ensure();
    expect(await ids(s)).toEqual([1, 2]);
    expect(h.relays.of('streaming.create')).toHaveLength(1);
    expect(h.relays.of('streaming.rtsp')).toHaveLength(1);
    await s.statics.ensure();
    expect(h.relays.sent.filter((c) => c.cmd.op !== 'streaming.info')).toHaveLength(2);
    expect((await s.sync('info', { id: 2, secret: 'adminpwd' })).info).toMatchObject({
      rtsp: true,
      secret: 'adminpwd',
    });
  });

  it('an evicted object restores them from storage instead of creating them again', async () => {
    const first = streamingOf(configured);
    await first.s.statics.ensure();
    const restored = streamingOf(configured, [...first.h.stored.values()]);
    await restored.s.statics.ensure();
    expect(restored.h.relays.sent.filter((c) => c.cmd.op !== 'streaming.info')).toEqual([]);
    expect(await ids(restored.s)).toEqual([1, 2]);
  });

  it('destroy leaves a tombstone that outlives eviction; a changed configuration creates it again', async () => {
    const first = streamingOf(configured);
    await first.s.statics.ensure();
    await first.s.sync('destroy', { id: 1 });
    await first.s.statics.ensure();
    expect(await ids(first.s)).toEqual([2]);
    const tombstones = first.saved.at(-1)!;
    const restored = streamingOf(configured, [...first.h.stored.values()], tombstones);
    await restored.s.statics.ensure();
    expect(await ids(restored.s)).toEqual([2]);
    const changed = parseStaticMountpoints([{ type: 'rtp', id: 1, description: 'changed', media: av }]);
    const again = streamingOf(changed, [...first.h.stored.values()], tombstones);
    await again.s.statics.ensure();
    expect((await ids(again.s)).sort()).toEqual([1, 2]);
  });

  it('one that cannot be created now (no relay answers) is not retried by every request, and is missing meanwhile', async () => {
    const { h, s } = streamingOf(configured);
    h.relays.failing.set('streaming.rtsp', 470);
    await s.statics.ensure();
    await s.statics.ensure();
    expect(h.relays.of('streaming.rtsp')).toHaveLength(1);
    expect(await ids(s)).toEqual([1]);
  });
});
