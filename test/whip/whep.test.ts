import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { publishSending } from '../videoroom/support/participant.js';
import { useRoomStack } from './support/roomStack.js';
import { del, whepPlay, whipPublish } from './support/whipHttp.js';

describe('WHEP: a werift player watches VideoRoom publishers (Janus API and WHIP)', () => {
  const rs = useRoomStack();

  it('plays a Janus-API publisher: the player offers, the relay answers with the feed on its m-lines', async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_000_000, 4);
    const pub = await publishSending(stack, room, 7);
    const player = await whepPlay(stack, room, 7);
    expect(player.resource.res.headers.get('content-type')).toMatch(/^application\/sdp/);
    expect(new URL(player.resource.location).pathname).toMatch(/^\/whep\/resource\/\d+\/\d+\/[\w-]+$/);
    expect(player.resource.answer).toMatch(/a=sendonly/);
    await waitFor(
      () => player.client.received.video > 30 && player.client.received.audio > 10,
      10_000,
      'media at the WHEP player',
    );
    // The player is an ordinary subscriber: the room lists no new participant, the publisher is unaffected.
    expect(await rs.participants(room)).toHaveLength(1);
    expect((await del(player.resource.location)).status).toBe(200);
    expect((await del(player.resource.location)).status).toBe(404);
    await player.client.close();
    await pub.client.close();
    await pub.p.close();
  }, 60_000);

  it('plays a WHIP publisher', async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_000_000, 4);
    const pub = await whipPublish(stack, room, 'ingest');
    const feed = ((await rs.participants(room)) as Array<{ id: number }>)[0]!.id;
    pub.client.startSending(pub.audio, 20);
    pub.client.startSending(pub.video, 1000 / 60);
    const player = await whepPlay(stack, room, feed);
    await waitFor(() => player.client.received.video > 30, 10_000, 'WHIP media at the WHEP player');
    expect((await del(player.resource.location)).status).toBe(200);
    expect((await del(pub.resource.location)).status).toBe(200);
    await player.client.close();
    await pub.client.close();
  }, 60_000);
});

describe('WHEP across regions: the player is served by its own region’s relay through a cascade', () => {
  const rs = useRoomStack({ RELAY_REGIONS: 'eu,us' });

  it('a WHIP publisher in eu is played by a WHEP player in us', async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_000_000, 4);
    const pub = await whipPublish(stack, room, 'eu-cam', undefined, 'eu');
    const listed = await rs.participants(room);
    expect(listed[0]).toMatchObject({ display: 'eu-cam', region: 'eu' });
    pub.client.startSending(pub.video, 1000 / 60);
    const player = await whepPlay(stack, room, listed[0]!.id as number, undefined, 'us');
    await waitFor(() => player.client.received.video > 30, 10_000, 'eu media at the us player');
    // The player's PeerConnection is on the us relay (admin handle_info of the resource's handle).
    const [sessionId, handleId] = new URL(player.resource.location).pathname.split('/').slice(3, 5).map(Number);
    const info = await (
      await fetch(stack.adminUrl, {
        method: 'POST',
        body: JSON.stringify({
          janus: 'handle_info',
          session_id: sessionId,
          handle_id: handleId,
          admin_secret: 'janusoverlord',
          transaction: 't',
        }),
      })
    ).json();
    expect(info.info.relay).toBe(stack.relays.find((r) => r.region === 'us')!.id);
    expect((await del(player.resource.location)).status).toBe(200);
    expect((await del(pub.resource.location)).status).toBe(200);
    await player.client.close();
    await pub.client.close();
  }, 60_000);
});
