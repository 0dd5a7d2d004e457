/**
 * WHEP's server-offer mode (as Eyevinn's WHEP client and the early WHEP drafts do it): a POST without
 * an SDP gets the relay's offer in the 201, the player answers with a PATCH of `application/sdp`.
 * Played: a Janus-API VideoRoom publisher and a Streaming mountpoint fed by ffmpeg.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { publishSending } from '../videoroom/support/participant.js';
import { ffmpegMountpoint } from './support/ffmpegMountpoint.js';
import { useRoomStack } from './support/roomStack.js';
import { created, del, patchAnswer, postOffer, whepServerOfferPlay } from './support/whipHttp.js';
import { edgeCounts } from './support/whipPages.js';

describe('WHEP server-offer mode: the relay offers, the player answers by PATCH', () => {
  const rs = useRoomStack();

  it('plays a Janus-API publisher; a second answer is 409; WHIP still needs an offer', async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_200_000, 4);
    const pub = await publishSending(stack, room, 7);

    // An offer never answered: DELETE releases its session, handle and PeerConnection all the same.
    const before = await edgeCounts(stack);
    const unanswered = await created(postOffer(stack, `/whep/endpoint/${room}/7`, ''), stack);
    expect(unanswered.answer).toMatch(/^v=0/);
    // No ICE session yet (our offer awaits its answer): nothing to restart.
    const restart = await fetch(unanswered.location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
      body: 'a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n',
    });
    expect(restart.status).toBe(422);
    expect((await del(unanswered.location)).status).toBe(200);
    expect(await edgeCounts(stack)).toEqual(before);

    const player = await whepServerOfferPlay(stack, `/whep/endpoint/${room}/7`, 'application/sdp');
    const { res, location, etag } = player.resource;
    expect(res.headers.get('content-type')).toMatch(/^application\/sdp/);
    expect(res.headers.get('accept-patch')).toMatch(/application\/sdp/);
    expect(player.offer).toMatch(/^a=sendonly/m);
    expect(player.offer).toMatch(/a=candidate:/);
    // The ICE session is the player's answer's: a new ETag once it is there.
    const answeredEtag = player.patched.headers.get('etag')!;
    expect(answeredEtag).toMatch(/^".+"$/);
    expect(answeredEtag).not.toBe(etag);
    await waitFor(
      () => player.client.received.video > 30 && player.client.received.audio > 10,
      10_000,
      'media at the server-offer player',
    );
    // Nothing awaits an answer any more; a WHIP endpoint still takes only offers.
    expect((await patchAnswer(location, player.answer)).status).toBe(409);
    expect((await postOffer(stack, `/whip/endpoint/${room}`, '')).status).toBe(400);
    expect(await rs.participants(room)).toHaveLength(1);
    expect((await del(location)).status).toBe(200);
    expect((await del(location)).status).toBe(404);
    await player.client.close();
    await pub.client.close();
    await pub.p.close();
  }, 60_000);

  it('plays a Streaming mountpoint (a POST with no Content-Type at all)', async () => {
    const { stack } = rs;
    const mountpoint = await ffmpegMountpoint(stack, 8_200_000);
    const { id, viewers } = mountpoint;
    try {
      const player = await whepServerOfferPlay(stack, `/whep/streaming/${id}`);
      expect(player.offer.match(/^a=sendonly/gm)).toHaveLength(2);
      await waitFor(
        () => player.client.received.video > 60 && player.client.received.audio > 30,
        15_000,
        'ffmpeg media at the server-offer player',
      );
      expect(await viewers()).toBe(1);
      expect((await del(player.resource.location)).status).toBe(200);
      expect(await viewers()).toBe(0);
      await player.client.close();
    } finally {
      await mountpoint.close();
    }
  }, 60_000);
});
