/**
 * WHEP ICE restart (`PATCH` with `If-Match: *`, as RFC 9725 §4.4.1 has it for WHIP) through the real
 * stack, for a VideoRoom publisher's feed and a Streaming mountpoint, in both offer modes: a werift
 * player that offered restarts with a new offer the relay answers; one that answered the relay's offer
 * sends new credentials and gets the relay's new offer. Either way: 200 with the relay's new
 * credentials, a new ETag (the old one 412), media goes on; bad restarts are 400 and change nothing;
 * DELETE afterwards releases everything.
 */
import { describe, expect, it } from 'vitest';
import type { EchoClient } from '../relay/support/client.js';
import { waitFor } from '../relay/support/client.js';
import { until } from '../streaming/support/census.js';
import { avMedia, ffmpegSend, StreamingHandle } from '../streaming/support/viewer.js';
import { publish } from '../videoroom/support/participant.js';
import type { Stack } from '../support/stack.js';
import { useRoomStack } from './support/roomStack.js';
import { restartFragment, restartIce, restartIceAsAnswerer } from './support/iceRestartClient.js';
import { del, whepPlayAt, whepServerOfferPlay } from './support/whipHttp.js';
import { edgeCounts } from './support/whipPages.js';

const TRICKLE = 'application/trickle-ice-sdpfrag';
type Mode = 'client-offer' | 'server-offer';

interface Player {
  client: EchoClient;
  location: string;
  /** The ETag of the player's current ICE session. */
  etag: string;
  /** The relay's description the player applied: its answer, or its offer (server-offer mode). */
  relaySdp: string;
}

async function play(stack: Stack, path: string, mode: Mode): Promise<Player> {
  if (mode === 'client-offer') {
    const p = await whepPlayAt(stack, path);
    return { client: p.client, location: p.resource.location, etag: p.resource.etag, relaySdp: p.resource.answer };
  }
  const p = await whepServerOfferPlay(stack, path, 'application/sdp');
  return {
    client: p.client,
    location: p.resource.location,
    etag: p.patched.headers.get('etag')!,
    relaySdp: p.offer,
  };
}

const patch = (location: string, body: string, ifMatch?: string) =>
  fetch(location, {
    method: 'PATCH',
    headers: { 'content-type': TRICKLE, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
    body,
  });

/** The restart, checked from the refused ones to media after it; the player is left connected on its new ICE session. */
async function restartsAndPlaysOn(player: Player, mode: Mode): Promise<void> {
  const { client, location, etag, relaySdp } = player;
  // Refused restarts change nothing: no credentials, or the current ones again.
  expect((await patch(location, 'm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n', '*')).status).toBe(400);
  expect((await patch(location, restartFragment(client.pc.localDescription!.sdp), '*')).status).toBe(400);
  const still = await patch(location, 'a=end-of-candidates\r\n', etag);
  expect(still.status).toBe(204);
  expect(still.headers.get('etag')).toBe(etag);
  const flowing = client.received.video;
  await waitFor(() => client.received.video > flowing + 20, 10_000, 'media after the refused restarts');

  const oldRelayUfrag = /a=ice-ufrag:(\S+)/.exec(relaySdp)![1];
  const restarted =
    mode === 'client-offer'
      ? await restartIce(client, location, relaySdp)
      : await restartIceAsAnswerer(client, location, relaySdp);
  expect(restarted.res.status, restarted.body).toBe(200);
  expect(restarted.res.headers.get('content-type')).toMatch(/^application\/trickle-ice-sdpfrag/);
  const newEtag = restarted.res.headers.get('etag')!;
  expect(newEtag).toMatch(/^".+"$/);
  expect(newEtag).not.toBe(etag);
  const newRelayUfrag = /a=ice-ufrag:(\S+)/.exec(restarted.body)![1];
  expect(newRelayUfrag).not.toBe(oldRelayUfrag);
  expect(restarted.body).toMatch(/a=ice-pwd:\S+/);
  expect(restarted.body).toMatch(/a=candidate:/);

  // The old ETag names an ICE session that is gone; the new one takes the player's new candidates.
  expect((await patch(location, 'a=end-of-candidates\r\n', etag)).status).toBe(412);
  const trickled = await patch(location, restartFragment(client.pc.localDescription!.sdp), newEtag);
  expect(trickled.status).toBe(204);
  expect(trickled.headers.get('etag')).toBe(newEtag);

  // Media goes on over the new ICE session: the player checks the relay's new credentials.
  const ice = client.pc.dtlsTransports[0]!.iceTransport;
  await waitFor(() => ice.state === 'connected' || ice.state === 'completed', 10_000, 'ICE up again');
  expect((ice as any).connection.remoteUsername).toBe(newRelayUfrag);
  const before = client.received.video;
  await waitFor(() => client.received.video > before + 60, 10_000, 'media after the restart');
}

describe('WHEP ICE restart', () => {
  const rs = useRoomStack();

  for (const mode of ['client-offer', 'server-offer'] as const) {
    it(`${mode}: a VideoRoom feed's player restarts ICE and plays on; DELETE releases everything`, async () => {
      const { stack } = rs;
      const room = await rs.newRoom(6_300_000, 2);
      const pub = await publish(stack, room, 7);
      pub.client.startSending(pub.audio, 20);
      pub.client.startSending(pub.video, 1000 / 60);
      const idle = await edgeCounts(stack);
      const player = await play(stack, `/whep/endpoint/${room}/7`, mode);
      await waitFor(() => player.client.received.video > 30, 10_000, 'media before the restart');
      const playing = await edgeCounts(stack);

      await restartsAndPlaysOn(player, mode);
      // The same session, handle and PeerConnection; the publisher is still the room's only participant.
      expect(await edgeCounts(stack)).toEqual(playing);
      expect((await rs.participants(room)).map((p) => p.id)).toEqual([7]);

      expect((await del(player.location)).status).toBe(200);
      expect((await del(player.location)).status).toBe(404);
      await player.client.close();
      await until(async () => JSON.stringify(await edgeCounts(stack)) === JSON.stringify(idle), 10_000, 'baseline');
      await pub.client.close();
      await pub.p.close();
    }, 60_000);

    it(`${mode}: a Streaming mountpoint's player restarts ICE and plays on; DELETE releases the viewer`, async () => {
      const { stack } = rs;
      const streaming = await StreamingHandle.connect(stack);
      const keepalive = setInterval(
        () => void streaming.janus.request({ janus: 'keepalive', session_id: streaming.sessionId }),
        1000,
      );
      const id = 8_300_000 + Math.floor(Math.random() * 1e6);
      const c = await streaming.sync({ request: 'create', type: 'rtp', id, media: avMedia });
      expect(c.streaming, JSON.stringify(c)).toBe('created');
      const port = (mid: string) => c.stream.ports.find((p: { mid: string }) => p.mid === mid).port as number;
      const ffmpeg = ffmpegSend('127.0.0.1', port('a'), port('v'), 30);
      const viewers = async () => (await streaming.sync({ request: 'info', id })).info.viewers as number;
      try {
        const idle = await edgeCounts(stack);
        const player = await play(stack, `/whep/streaming/${id}`, mode);
        await waitFor(() => player.client.received.video > 30, 15_000, 'ffmpeg media before the restart');
        const playing = await edgeCounts(stack);

        await restartsAndPlaysOn(player, mode);
        expect(await edgeCounts(stack)).toEqual(playing);
        expect(await viewers()).toBe(1);

        expect((await del(player.location)).status).toBe(200);
        expect(await viewers()).toBe(0);
        await player.client.close();
        await until(async () => JSON.stringify(await edgeCounts(stack)) === JSON.stringify(idle), 10_000, 'baseline');
      } finally {
        ffmpeg.kill('SIGKILL');
        clearInterval(keepalive);
        await streaming.sync({ request: 'destroy', id }).catch(() => undefined);
        await streaming.close();
      }
    }, 60_000);
  }
});
