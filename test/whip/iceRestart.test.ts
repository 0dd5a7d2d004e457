/**
 * WHIP ICE restart (RFC 9725 §4.4.1) through the real stack: a werift publisher restarts ICE with a
 * PATCH `If-Match: *` carrying its new credentials, gets the relay's new ones (200, a new ETag) and
 * keeps publishing; a Janus-API subscriber keeps receiving. Bad restarts change nothing.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { until } from '../streaming/support/census.js';
import { subscribe } from '../videoroom/support/participant.js';
import { useRoomStack } from './support/roomStack.js';
import { expectRefusedRestarts, expectRestartAccepted, patchSession, restartIce } from './support/iceRestartClient.js';
import { del, whipPublish } from './support/whipHttp.js';
import { edgeCounts } from './support/whipPages.js';

describe('WHIP ICE restart', () => {
  const rs = useRoomStack();

  it('PATCH If-Match * restarts ICE: 200 with the relay’s new credentials and a new ETag; media goes on', async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_100_000, 2);
    const idle = await edgeCounts(stack);
    const pub = await whipPublish(stack, room, 'restarting');
    const { location, etag, answer } = pub.resource;
    pub.client.startSending(pub.audio, 20);
    pub.client.startSending(pub.video, 1000 / 60);
    const feed = ((await rs.participants(room)) as any[])[0].id as number;
    const sub = await subscribe(stack, room, [feed]);
    await waitFor(() => sub.client.received.video > 30, 10_000, 'media before the restart');
    const publishing = await edgeCounts(stack);

    await expectRefusedRestarts(location, pub.client.pc.localDescription!.sdp, etag);
    const restarted = await restartIce(pub.client, location, answer);
    const current = await expectRestartAccepted(restarted, location, etag, answer);
    expect((await patchSession(location, 'a=end-of-candidates\r\n', current.etag)).status).toBe(204);

    // Media goes on over the new ICE session: the client checks the relay's new credentials.
    const ice = pub.client.pc.dtlsTransports[0]!.iceTransport;
    await waitFor(() => ice.state === 'connected' || ice.state === 'completed', 10_000, 'ICE up again');
    expect((ice as any).connection.remoteUsername).toBe(current.ufrag);
    const before = sub.client.received.video;
    await waitFor(() => sub.client.received.video > before + 120, 10_000, 'media after the restart');
    // Still one publisher of the room, the same feed.
    const listed = (await rs.participants(room)) as any[];
    expect(listed.map((p) => p.id)).toEqual([feed]);
    // The same session, handle and PeerConnection: a restart acquires nothing.
    expect(await edgeCounts(stack)).toEqual(publishing);

    expect((await del(location)).status).toBe(200);
    await pub.client.close();
    await sub.client.close();
    await sub.s.close();
    await until(async () => JSON.stringify(await edgeCounts(stack)) === JSON.stringify(idle), 10_000, 'baseline');
  }, 60_000);
});
