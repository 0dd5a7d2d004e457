import { describe, expect, it } from 'vitest';
import { layerTargets, svcLayerEvents } from '../../../edge/plugins/streaming/svcLayers.js';
import { relayA } from '../videoroom/harness.js';
import { StreamingHarness } from './harness.js';

const vp9 = { type: 'video', mid: 'v', port: 0, pt: 98, codec: 'vp9' };

describe('Streaming VP9 SVC mountpoints (edge)', () => {
  it('create asks the relay for an svc stream; info shows videosvc as the reference', async () => {
    const h = new StreamingHarness();
    const created = await h.streaming.sync('create', { type: 'rtp', id: 9, media: [{ ...vp9, svc: true }] }, relayA);
    expect(created.streaming).toBe('created');
    expect(h.relays.of('streaming.create')[0]!.cmd.media).toMatchObject([{ mid: 'v', codec: 'vp9', svc: true }]);
    const info = (await h.streaming.sync('info', { id: 9 })).info as { media: Array<Record<string, unknown>> };
    expect(info.media[0]).toMatchObject({ codec: 'vp9', videosvc: true });
  });

  it('svc on another codec, on audio, with simulcast or malformed: Janus codes, nothing sent to a relay', async () => {
    const h = new StreamingHarness();
    const bad: Array<[Record<string, unknown>, number]> = [
      [{ ...vp9, codec: 'vp8', pt: 100, svc: true }, 456],
      [{ type: 'audio', mid: 'a', pt: 111, codec: 'opus', svc: true }, 456],
      [{ ...vp9, svc: true, simulcast: true }, 456],
      [{ ...vp9, svc: 'yes' }, 454],
    ];
    for (const [m, code] of bad) expect(await h.code('create', { type: 'rtp', id: 2, media: [m] })).toBe(code);
    expect(h.relays.of('streaming.create')).toHaveLength(0);
  });

  it("configure: an svc m-line takes spatial_layer/temporal_layer (in the relay's substream/temporal), others substream/temporal", () => {
    const r = { substream: 1, temporal: 1, fallback: 5, spatial_layer: 0, temporal_layer: 2 };
    expect(layerTargets(r, true)).toEqual({ substream: 0, temporal: 2 });
    expect(layerTargets(r, false)).toEqual({ substream: 1, temporal: 1, fallback: 5 });
    expect(layerTargets({ spatial_layer: 1 }, false)).toEqual({});
  });

  it("the relay's layer event of an svc m-line becomes Janus's spatial_layer / temporal_layer results", () => {
    expect(svcLayerEvents({ kind: 'viewer.layer', mid: 'v', substream: 2, temporal: 0 })).toEqual([
      { mid: 'v', spatial_layer: 2 },
      { mid: 'v', temporal_layer: 0 },
    ]);
  });
});
