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
import { publishSending } from '../videoroom/support/participant.js';
import type { Stack } from '../support/stack.js';
import { ffmpegMountpoint } from './support/ffmpegMountpoint.js';
import { useRoomStack } from './support/roomStack.js';
import {
  expectRefusedRestarts,
  expectRestartAccepted,
  patchSession,
  restartFragment,
  restartIce,
  restartIceAsAnswerer,
} from './support/iceRestartClient.js';
import { del, whepPlayAt, whepServerOfferPlay } from './support/whipHttp.js';
import { edgeCounts } from './support/whipPages.js';

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

/** The restart, checked from the refused ones to media after it; the player is left connected on its new ICE session. */
async function restartsAndPlaysOn(player: Player, mode: Mode): Promise<void> {
  const { client, location, etag, relaySdp } = player;
  await expectRefusedRestarts(location, client.pc.localDescription!.sdp, etag);
  const flowing = client.received.video;
  await waitFor(() => client.received.video > flowing + 20, 10_000, 'media after the refused restarts');

  const restarted =
    mode === 'client-offer'
      ? await restartIce(client, location, relaySdp)
      : await restartIceAsAnswerer(client, location, relaySdp);
  const current = await expectRestartAccepted(restarted, location, etag, relaySdp);

  // The new ETag takes the player's new candidates.
  const trickled = await patchSession(location, restartFragment(client.pc.localDescription!.sdp), current.etag);
  expect(trickled.status).toBe(204);
  expect(trickled.headers.get('etag')).toBe(current.etag);

  // Media goes on over the new ICE session: the player checks the relay's new credentials.
  const ice = client.pc.dtlsTransports[0]!.iceTransport;
  await waitFor(() => ice.state === 'connected' || ice.state === 'completed', 10_000, 'ICE up again');
  expect((ice as any).connection.remoteUsername).toBe(current.ufrag);
  const before = client.received.video;
  await waitFor(() => client.received.video > before + 60, 10_000, 'media after the restart');
}

describe('WHEP ICE restart', () => {
  const rs = useRoomStack();

  for (const mode of ['client-offer', 'server-offer'] as const) {
    it(`${mode}: a VideoRoom feed's player restarts ICE and plays on; DELETE releases everything`, async () => {
      const { stack } = rs;
      const room = await rs.newRoom(6_300_000, 2);
      const pub = await publishSending(stack, room, 7);
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
      const mountpoint = await ffmpegMountpoint(stack, 8_300_000);
      const { id, viewers } = mountpoint;
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
        await mountpoint.close();
      }
    }, 60_000);
  }
});
