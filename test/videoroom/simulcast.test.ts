/**
 * VideoRoom simulcast per subscriber through the real stack (§5.4): a werift publisher sends three
 * rids with VP8 temporal layers; `configure` on the subscriber handle picks the substream and the
 * temporal layer (continuous sequence numbers at the subscriber), each change is announced as
 * `{videoroom:"event", room, mid, substream|temporal}`, and `fallback` moves a subscriber to a lower
 * substream when the selected one stops.
 *
 * The publisher lists its rids "h;m;l": its layer index 0 is "h" (substream 2), 2 is "l" (substream 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { PubClient, seqStats, SubClient } from '../relay/sfu/support.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant } from './support/participant.js';

const [H, M, L] = [0, 1, 2];

describe('VideoRoom simulcast subscribers', () => {
  let stack: Stack;
  let admin: Participant;
  beforeAll(async () => {
    stack = await startStack();
    admin = await Participant.connect(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('configure picks substream and temporal layer, events tell the subscriber, fallback drops a silent substream', async () => {
    const room = 9_500_000 + Math.floor(Math.random() * 1e5);
    expect((await admin.sync({ request: 'create', room })).videoroom).toBe('created');
    const p = await Participant.connect(stack);
    expect((await p.ask({ request: 'join', ptype: 'publisher', room, id: 1 })).plugindata.data.videoroom).toBe(
      'joined',
    );
    const pub = new PubClient(1, { audio: false, rids: ['h', 'm', 'l'], temporal: true });
    const sub = new SubClient();
    try {
      const ev = await p.ask({ request: 'configure', video: true }, { type: 'offer', sdp: await pub.offer() });
      expect(ev.plugindata.data).toMatchObject({ configured: 'ok' });
      await pub.accept(ev.jsep.sdp);
      await pub.connected();
      pub.start(100);

      const s = await Participant.connect(stack);
      const attached = await s.ask({ request: 'join', ptype: 'subscriber', room, streams: [{ feed: 1 }] });
      expect(attached.plugindata.data.videoroom).toBe('attached');
      const mid = attached.plugindata.data.streams[0].mid as string;
      const started = await s.ask({ request: 'start' }, { type: 'answer', sdp: await sub.answer(attached.jsep.sdp) });
      expect(started.plugindata.data).toMatchObject({ started: 'ok' });
      const layerEvent = (key: 'substream' | 'temporal', value: number) =>
        s.waitData((d) => d.videoroom === 'event' && d[key] === value, `${key} ${value} event`);
      // the default is the highest substream, every temporal layer
      expect((await layerEvent('substream', 2)).plugindata.data).toEqual({
        videoroom: 'event',
        room,
        mid,
        substream: 2,
      });
      expect((await layerEvent('temporal', 2)).plugindata.data).toEqual({ videoroom: 'event', room, mid, temporal: 2 });
      await waitFor(() => sub.rec(mid).packets >= 20, 5000, 'the highest substream');
      expect(new Set(sub.rec(mid).sources)).toEqual(new Set([`1:${H}`]));

      const configured = await s.ask({ request: 'configure', streams: [{ mid, substream: 0, temporal: 0 }] });
      expect(configured.plugindata.data).toEqual({ videoroom: 'event', room, configured: 'ok' });
      expect((await layerEvent('substream', 0)).plugindata.data).toEqual({
        videoroom: 'event',
        room,
        mid,
        substream: 0,
      });
      expect((await layerEvent('temporal', 0)).plugindata.data).toEqual({ videoroom: 'event', room, mid, temporal: 0 });
      const from = sub.rec(mid).packets;
      await waitFor(() => sub.rec(mid).packets >= from + 25, 5000, 'substream 0, temporal 0');
      const r = sub.rec(mid);
      const tail = r.sources.slice(r.sources.indexOf(`1:${L}`, from));
      expect(new Set(tail)).toEqual(new Set([`1:${L}`]));
      expect(new Set(r.tids.slice(r.sources.indexOf(`1:${L}`, from)))).toEqual(new Set([0]));
      const st = seqStats(r.seqs);
      expect(st.maxGap).toBeLessThanOrEqual(1); // dropped temporal layers and the switch leave no hole
      expect(st.backwards).toBe(0);

      // back to the top with a 300 ms fallback; then "h" stops and the subscriber falls back to "m"
      await s.ask({ request: 'configure', streams: [{ mid, substream: 2, temporal: 2, fallback: 300_000 }] });
      await layerEvent('substream', 2);
      pub.silenced.add(H);
      expect((await layerEvent('substream', 1)).plugindata.data).toEqual({
        videoroom: 'event',
        room,
        mid,
        substream: 1,
      });
      const n = sub.rec(mid).sources.length;
      await waitFor(
        () =>
          sub
            .rec(mid)
            .sources.slice(n)
            .filter((x) => x === `1:${M}`).length >= 10,
        5000,
        '"m" after the fallback',
      );
    } finally {
      pub.stop();
      await pub.close();
      await sub.close();
    }
  }, 120_000);
});
