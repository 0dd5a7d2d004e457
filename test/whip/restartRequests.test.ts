/**
 * The plugin requests a WHEP ICE restart stands on, on the Janus API of the real stack: a Streaming
 * viewer's `watch` with `restart` (the relay's ICE-restart offer, as Janus 1.1 makes it), and a
 * VideoRoom subscriber's `configure` with its own new offer, which only a subscriber that offered
 * first may send, keeping its m-lines. Refusals change nothing: media goes on.
 */
import { describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { disableDefaultStun, hardenDtls } from '../../relay/peer/werift.js';
import { watch } from '../streaming/support/viewer.js';
import { Participant, publish, subscribe } from '../videoroom/support/participant.js';
import { ffmpegMountpoint } from './support/ffmpegMountpoint.js';
import { useRoomStack } from './support/roomStack.js';

const ufragOf = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)![1];
const errorCode = (ev: Record<string, any>) => ev.plugindata?.data?.error_code as number | undefined;

describe('the plugin requests under a WHEP ICE restart', () => {
  const rs = useRoomStack();

  it('Streaming: watch with restart offers new credentials (updating); start answers; media goes on', async () => {
    const { stack } = rs;
    const mountpoint = await ffmpegMountpoint(stack, 8_400_000);
    const { id } = mountpoint;
    try {
      const { h, client } = await watch(stack, id);
      await waitFor(() => client.received.video > 30, 15_000, 'media before the restart');
      const oldUfrag = ufragOf(client.pc.remoteDescription!.sdp);
      // Another mountpoint is refused (460: Janus 1.1.2 restarts anyway, with an offer named after the other
      // mountpoint while the viewer stays on its own); a viewer the relay offered to brings no offer of its own (454).
      expect(errorCode(await h.ask({ request: 'watch', id: id + 1, restart: true }))).toBe(460);
      const own = await client.pc.createOffer();
      expect(errorCode(await h.ask({ request: 'watch', id, restart: true }, { type: 'offer', sdp: own.sdp }))).toBe(
        454,
      );

      const ev = await h.ask({ request: 'watch', id, restart: true });
      expect(ev.plugindata?.data).toMatchObject({ streaming: 'event', result: { status: 'updating' } });
      expect(ev.jsep?.type).toBe('offer');
      const newUfrag = ufragOf(ev.jsep.sdp);
      expect(newUfrag).not.toBe(oldUfrag);
      const answer = await client.acceptOffer(ev.jsep.sdp);
      const started = await h.ask({ request: 'start' }, { type: 'answer', sdp: answer });
      // as Janus 1.1.2 (the differential case): `started`, the PeerConnection being up
      expect(started.plugindata?.data).toMatchObject({ result: { status: 'started' } });
      const ice = client.pc.dtlsTransports[0]!.iceTransport;
      ice.start().catch(() => undefined);
      await waitFor(() => ice.state === 'connected' || ice.state === 'completed', 10_000, 'ICE up again');
      expect((ice as any).connection.remoteUsername).toBe(newUfrag);
      const before = client.received.video;
      await waitFor(() => client.received.video > before + 60, 10_000, 'media after the restart');
      await client.close();
      await h.close();
    } finally {
      await mountpoint.close();
    }
  }, 60_000);

  it('VideoRoom: a subscriber that offered first may offer again on its m-lines; others get 431', async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_400_000, 2);
    const pub = await publish(stack, room, 7);
    pub.client.startSending(pub.video, 1000 / 60);
    // Offered by the relay: an offer of the subscriber's own is Janus's 431.
    const offeredTo = await subscribe(stack, room, [7]);
    const own = await offeredTo.client.pc.createOffer();
    expect(errorCode(await offeredTo.s.ask({ request: 'configure' }, { type: 'offer', sdp: own.sdp }))).toBe(431);

    // A subscriber that offered first (as a WHEP player does).
    const s = await Participant.connect(stack);
    const client = new EchoClient();
    client.addMedia('video');
    for (const t of client.pc.getTransceivers()) t.setDirection('recvonly');
    const joined = await s.ask(
      { request: 'join', ptype: 'subscriber', room, streams: [{ feed: 7 }] },
      { type: 'offer', sdp: await client.createOffer() },
    );
    expect(joined.jsep?.type, JSON.stringify(joined)).toBe('answer');
    await client.acceptAnswer(joined.jsep.sdp);
    await client.connected(15_000);
    await waitFor(() => client.received.video > 30, 10_000, 'media before the restart');

    // restart asks for the relay's offer: not with one of the subscriber's (430); an offer with another
    // m-line is refused (465); media goes on.
    const extra = new EchoClient();
    extra.pc.addTransceiver('video', { direction: 'recvonly' });
    extra.pc.addTransceiver('audio', { direction: 'recvonly' });
    const twoLines = (await extra.pc.createOffer()).sdp;
    const current = client.pc.localDescription!.sdp;
    expect(errorCode(await s.ask({ request: 'configure', restart: true }, { type: 'offer', sdp: current }))).toBe(430);
    expect(errorCode(await s.ask({ request: 'configure' }, { type: 'offer', sdp: twoLines }))).toBe(465);
    const flowing = client.received.video;
    await waitFor(() => client.received.video > flowing + 20, 10_000, 'media after the refusals');

    const oldUfrag = ufragOf(client.pc.remoteDescription!.sdp);
    client.pc.restartIce();
    const offer = await client.pc.createOffer();
    disableDefaultStun(client.pc);
    await client.pc.setLocalDescription(offer);
    const ev = await s.ask({ request: 'configure' }, { type: 'offer', sdp: client.pc.localDescription!.sdp });
    expect(ev.plugindata?.data).toMatchObject({ videoroom: 'event', room, configured: 'ok' });
    expect(ev.jsep?.type).toBe('answer');
    expect(ufragOf(ev.jsep.sdp)).not.toBe(oldUfrag);
    await client.pc.setRemoteDescription({ type: 'answer', sdp: ev.jsep.sdp });
    hardenDtls(client.pc);
    const ice = client.pc.dtlsTransports[0]!.iceTransport;
    ice.start().catch(() => undefined);
    await waitFor(() => ice.state === 'connected' || ice.state === 'completed', 10_000, 'ICE up again');
    const before = client.received.video;
    await waitFor(() => client.received.video > before + 60, 10_000, 'media after the restart');

    for (const c of [client, extra, offeredTo.client, pub.client]) await c.close();
    for (const p of [s, offeredTo.s, pub.p]) await p.close();
  }, 60_000);
});
