import { describe, expect, it } from 'vitest';
import { Harness, relayA, relayB, relayC, roomWithPublisher, subscribe } from './harness.js';

describe('VideoRoom cascades between relays', () => {
  it('a subscriber on another relay gets one cascade: a remote publisher there, forwarders on the publisher’s relay', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h, relayA);
    await subscribe(h, id, relayB);
    const adds = h.relays.of('sfu.remoteAdd');
    expect(adds.map((c) => [c.relay, c.cmd.sessionId, c.cmd.handleId])).toEqual([
      [relayB, pub.sessionId, pub.handleId],
    ]);
    const forwards = h.relays.of('sfu.forward');
    expect(forwards).toHaveLength(1);
    expect(forwards[0]?.relay).toEqual(relayA);
    // Janus's remote-publisher SSRCs (1000 + mindex*10), the RTCP port on the video stream, NACK history on video.
    expect(forwards[0]?.cmd.streams.map((s) => [s.mid, s.ssrc, s.rtcp_port !== undefined, s.nack === true])).toEqual([
      ['0', 1000, false, false],
      ['1', 1010, true, true],
    ]);
    expect(h.saved?.cascades).toHaveLength(1);
    expect(h.watched).toEqual(new Set([relayA.linkId, relayB.linkId]));
  });

  it('one cascade per (publisher, relay), shared by its subscribers, pruned after the last leaves', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h, relayA);
    const one = await subscribe(h, id, relayB);
    const two = await subscribe(h, id, relayB);
    const three = await subscribe(h, id, relayC);
    expect(h.relays.of('sfu.remoteAdd').map((c) => c.relay)).toEqual([relayB, relayC]);
    expect(h.vr.cascadeInfo(two.sub)).toEqual([
      {
        feed_id: id,
        from_relay: 'relay-a',
        to_relay: 'relay-b',
        ip: '192.0.2.1',
        port: expect.any(Number),
        rtcp_port: expect.any(Number),
        forwarders: 2,
      },
    ]);

    h.vr.leave(one.sub);
    expect(h.relays.of('sfu.remoteRemove')).toEqual([]);
    h.vr.leave(two.sub);
    await h.settle();
    expect(h.relays.of('sfu.remoteRemove').map((c) => c.relay)).toEqual([relayB]);
    expect(h.relays.of('sfu.stopForward').map((c) => c.relay)).toEqual([relayA, relayA]);
    expect(h.saved?.cascades?.map((c) => c.to)).toEqual([relayC]);
    expect(h.watched).toEqual(new Set([relayA.linkId, relayC.linkId]));

    h.vr.leave(three.sub);
    await h.settle();
    expect(h.saved?.cascades).toEqual([]);
    expect(h.watched).toEqual(new Set());
  });

  it('concurrent subscribers on one relay share the cascade being opened', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h, relayA);
    await Promise.all([subscribe(h, id, relayB), subscribe(h, id, relayB)]);
    expect(h.relays.of('sfu.remoteAdd')).toHaveLength(1);
    expect(h.saved?.cascades).toHaveLength(1);
  });

  it('a cascade that cannot open fails the subscription and releases its reservation', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h, relayA);
    h.relays.failing.set('sfu.remoteAdd', 499);
    await expect(subscribe(h, id, relayB)).rejects.toMatchObject({ code: 499 });
    expect(h.saved?.subscribers).toEqual([]);
    expect(h.saved?.cascades ?? []).toEqual([]);
  });

  it('the publisher unpublishing closes its cascades', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h, relayA);
    const { sub } = await subscribe(h, id, relayB);
    h.vr.publishers.unpublished(pub, true);
    await h.settle();
    expect(h.toldTo(sub)).toContainEqual({ kind: 'feedsGone', feedIds: [id] });
    expect(h.saved?.cascades).toEqual([]);
    expect(h.relays.of('sfu.remoteRemove').map((c) => c.relay)).toEqual([relayB]);
  });

  it('relay loss: cascades from or to the lost relay close, subscribers there lose their relay', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h, relayA);
    const onB = await subscribe(h, id, relayB);
    await subscribe(h, id, relayC);
    await h.vr.relayEvents.relayLost(relayB.linkId);
    await h.settle();
    expect(h.saved?.cascades?.map((c) => c.to)).toEqual([relayC]);
    expect(h.saved?.subscribers.find((s) => s.handleId === onB.sub.handleId)?.relay).toBeUndefined();
    expect(h.watched).toEqual(new Set([relayA.linkId, relayC.linkId]));
    await h.vr.relayEvents.relayLost(relayA.linkId);
    await h.settle();
    expect(h.saved?.cascades).toEqual([]);
    expect(h.watched).toEqual(new Set());
  });

  it('a renegotiating publisher carries its new streams to the relays it is cascaded to', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h, relayA);
    await subscribe(h, id, relayB);
    h.vr.publishers.published(
      pub,
      [...(h.saved?.publishers[0]?.streams ?? []), { type: 'data', mindex: 2, mid: '2' }],
      relayA,
      {},
    );
    await h.settle();
    expect(h.relays.of('sfu.remoteUpdate').map((c) => [c.relay, c.cmd.streams.map((s) => s.mid)])).toEqual([
      [relayB, ['0', '1', '2']],
    ]);
    const forwards = h.relays.of('sfu.forward');
    expect(forwards.at(-1)?.cmd.streams.map((s) => [s.mid, s.wrap_data])).toEqual([['2', true]]);
    expect(h.saved?.cascades?.[0]?.forwarderIds).toHaveLength(3);
  });
});
