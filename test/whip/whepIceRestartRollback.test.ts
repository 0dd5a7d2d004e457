/**
 * A WHEP ICE restart in server-offer mode that fails changes nothing the player can see: the relay
 * makes its ICE-restart offer (its ICE agent restarts), the player's answer with the fragment's
 * credentials is refused (an `_` is no ice-char, RFC 8839 §5.4: the edge lets it through, the relay
 * does not), and the relay takes the restart back. The PATCH answers 400 saying so; the previous
 * ICE session goes on (same credentials, same ETag, media flowing), a good restart works after it,
 * and DELETE releases everything. For a VideoRoom feed and a Streaming mountpoint.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { until } from '../streaming/support/census.js';
import { publishSending } from '../videoroom/support/participant.js';
import type { Stack } from '../support/stack.js';
import { ffmpegMountpoint } from './support/ffmpegMountpoint.js';
import { useRoomStack } from './support/roomStack.js';
import { expectRestartAccepted, patchSession, restartIceAsAnswerer } from './support/iceRestartClient.js';
import { del, whepServerOfferPlay } from './support/whipHttp.js';
import { edgeCounts } from './support/whipPages.js';

/** A restart fragment of the player's first m-line with credentials the relay refuses. */
function refusedFragment(localSdp: string): string {
  const lines = localSdp.split(/\r?\n/);
  const first = lines.findIndex((l) => l.startsWith('m='));
  return [
    'a=ice-ufrag:bad_ufrag',
    'a=ice-pwd:abcdefghijklmnopqrstuvwxyz',
    lines[first],
    lines.find((l, i) => i > first && l.startsWith('a=mid:')),
    '',
  ].join('\r\n');
}

/** Plays `path` in server-offer mode, fails a restart, plays on, restarts for real, plays on; leaves the player connected. */
async function failedRestartChangesNothing(
  stack: Stack,
  path: string,
): Promise<{ location: string; close(): Promise<void> }> {
  const p = await whepServerOfferPlay(stack, path, 'application/sdp');
  const { client } = p;
  const location = p.resource.location;
  const etag = p.patched.headers.get('etag')!;
  await waitFor(() => client.received.video > 30, 15_000, 'media before the restart');
  const ice = client.pc.dtlsTransports[0]!.iceTransport;
  const relayUfrag = ice.connection.remoteUsername;

  const refused = await patchSession(location, refusedFragment(client.pc.localDescription!.sdp), '*');
  const problem = await refused.text();
  expect(refused.status, problem).toBe(400);
  expect(problem).toMatch(/ice-ufrag/);
  expect(problem).toMatch(/rolled back: the previous ICE session goes on/);

  // The previous ICE session is the current one: its ETag still takes candidates, media keeps coming.
  const trickled = await patchSession(location, 'a=end-of-candidates\r\n', etag);
  expect(trickled.status).toBe(204);
  expect(trickled.headers.get('etag')).toBe(etag);
  const before = client.received.video;
  await waitFor(() => client.received.video > before + 60, 10_000, 'media after the failed restart');
  expect(ice.state === 'connected' || ice.state === 'completed').toBe(true);
  expect(ice.connection.remoteUsername).toBe(relayUfrag);

  // The next restart works as any other.
  const restarted = await restartIceAsAnswerer(client, location, p.offer);
  await expectRestartAccepted(restarted, location, etag, p.offer);
  await waitFor(() => ice.state === 'connected' || ice.state === 'completed', 10_000, 'ICE up again');
  const after = client.received.video;
  await waitFor(() => client.received.video > after + 60, 10_000, 'media after the good restart');
  return { location, close: () => client.close() };
}

describe('WHEP server-offer ICE restart that fails', () => {
  const rs = useRoomStack();

  it("a VideoRoom feed's player: the restart is rolled back, media goes on, a good restart follows, DELETE releases everything", async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_400_000, 2);
    const pub = await publishSending(stack, room, 7);
    const idle = await edgeCounts(stack);

    const player = await failedRestartChangesNothing(stack, `/whep/endpoint/${room}/7`);
    expect((await rs.participants(room)).map((p) => p.id)).toEqual([7]);

    expect((await del(player.location)).status).toBe(200);
    await player.close();
    await until(async () => JSON.stringify(await edgeCounts(stack)) === JSON.stringify(idle), 10_000, 'baseline');
    await pub.client.close();
    await pub.p.close();
  }, 60_000);

  it("a Streaming mountpoint's player: the restart is rolled back, media goes on, a good restart follows, DELETE releases the viewer", async () => {
    const { stack } = rs;
    const mountpoint = await ffmpegMountpoint(stack, 8_400_000);
    try {
      const idle = await edgeCounts(stack);
      const player = await failedRestartChangesNothing(stack, `/whep/streaming/${mountpoint.id}`);
      expect(await mountpoint.viewers()).toBe(1);

      expect((await del(player.location)).status).toBe(200);
      expect(await mountpoint.viewers()).toBe(0);
      await player.close();
      await until(async () => JSON.stringify(await edgeCounts(stack)) === JSON.stringify(idle), 10_000, 'baseline');
    } finally {
      await mountpoint.close();
    }
  }, 60_000);
});
