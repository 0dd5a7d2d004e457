import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient } from '../relay/support/client.js';
import { getJsonOnFreshConnection as getJson } from '../support/getJson.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish } from '../videoroom/support/participant.js';
import { del, postOffer, whepPlay, whipPublish } from './support/whipHttp.js';

const ICE = [
  { urls: 'stun:stun.example.net:3478' },
  { urls: ['turn:turn.example.net:3478?transport=udp'], username: 'u1', credential: 'p1' },
];

/** A publisher's offer (VP8 + Opus), to be refused before anything is negotiated. */
async function anOffer(): Promise<string> {
  const c = new EchoClient();
  c.addMedia('audio');
  c.addMedia('video');
  const sdp = await c.createOffer();
  await c.close();
  return sdp;
}

describe('WHIP and WHEP errors: each refusal has its RFC status and leaves nothing behind', () => {
  let stack: Stack;
  let admin: Participant;
  let room: number;
  let pinned: number;
  let offer: string;
  const counts = async () => {
    const h = await getJson(`${stack.baseUrl}/health?counts=1`);
    return { sessions: h.sessions, handles: h.handles, pcs: h.peerconnections };
  };
  beforeAll(async () => {
    stack = await startStack({ WHIP_ICE_SERVERS: JSON.stringify(ICE) });
    admin = await Participant.connect(stack);
    room = 6_000_000 + Math.floor(Math.random() * 1e6);
    pinned = room + 1;
    await admin.sync({ request: 'create', room, publishers: 1 });
    await admin.sync({ request: 'create', room: pinned, pin: 'letmein' });
    offer = await anOffer();
  }, 120_000);
  afterAll(async () => {
    await admin?.close().catch(() => undefined);
    await stack?.stop();
  });

  it('OPTIONS answers the CORS preflight and the ICE servers as Link headers', async () => {
    const res = await fetch(`${stack.baseUrl}/whip/endpoint/${room}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://studio.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://studio.example');
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Location.*ETag.*Link/);
    expect(res.headers.get('accept-post')).toBe('application/sdp');
    const links = res.headers.get('link')!;
    expect(links).toContain('<stun:stun.example.net:3478>; rel="ice-server"');
    expect(links).toContain(
      '<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="u1"; credential="p1"; credential-type="password"',
    );
    const pre = await fetch(`${stack.baseUrl}/whip/resource/1/2/abc`, {
      method: 'OPTIONS',
      headers: { origin: 'https://studio.example', 'access-control-request-method': 'PATCH' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/PATCH.*DELETE/);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/If-Match/i);
  });

  it('POST: 415 wrong type, 400 no SDP, 404 unknown room or path, 401/403 pin, 409 room full, 405 method', async () => {
    const before = await counts();
    const status = async (res: Promise<Response>) => (await res).status;
    expect(await status(postOffer(stack, `/whip/endpoint/${room}`, offer, undefined, 'application/json'))).toBe(415);
    expect(await status(postOffer(stack, `/whip/endpoint/${room}`, 'hello'))).toBe(400);
    expect(await status(postOffer(stack, `/whip/endpoint/${room + 99}`, offer))).toBe(404);
    expect(await status(postOffer(stack, `/whip/endpoint/not-a-room`, offer))).toBe(404);
    expect(await status(postOffer(stack, `/whip/nothing`, offer))).toBe(404);
    const noToken = await postOffer(stack, `/whip/endpoint/${pinned}`, offer);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer');
    expect(await status(postOffer(stack, `/whip/endpoint/${pinned}`, offer, 'wrong'))).toBe(403);
    expect((await fetch(`${stack.baseUrl}/whip/endpoint/${room}`)).status).toBe(405);
    // WHEP: the same, and an unknown feed.
    expect(await status(postOffer(stack, `/whep/endpoint/${room}/1`, offer, undefined, 'text/plain'))).toBe(415);
    expect(await status(postOffer(stack, `/whep/endpoint/${room}/424242`, offer))).toBe(404);
    expect(await status(postOffer(stack, `/whep/endpoint/${room}`, offer))).toBe(404);
    expect(await counts()).toEqual(before);

    // The right pin publishes; the room takes one publisher, so a second one conflicts (409).
    const ok = await whipPublish(stack, pinned, 'pinned', 'letmein');
    const first = await whipPublish(stack, room, 'first');
    const during = await counts();
    expect(await status(postOffer(stack, `/whip/endpoint/${room}`, await anOffer()))).toBe(409);
    expect(await counts()).toEqual(during);
    // WHEP of a pinned room wants its pin too.
    const feed = ((await admin.sync({ request: 'listparticipants', room: pinned })).participants as any[])[0].id;
    expect(await status(postOffer(stack, `/whep/endpoint/${pinned}/${feed}`, await anOffer()))).toBe(401);
    const player = await whepPlay(stack, pinned, feed, 'letmein');
    for (const r of [ok.resource, first.resource, player.resource]) expect((await del(r.location)).status).toBe(200);
    for (const c of [ok.client, first.client, player.client]) await c.close();
  }, 60_000);

  for (const protocol of ['whep', 'whip'] as const)
    it(`PATCH of a ${protocol} resource: 204 for trickled candidates, ${protocol === 'whep' ? '409 an answer nobody asked for' : '415 an SDP'}, 415 wrong type, 412 stale ETag, 400 no fragment or an ICE restart without new credentials; 404 unknown resource`, async () => {
      const pub = await publish(stack, room, 5);
      const player =
        protocol === 'whep' ? await whepPlay(stack, room, 5) : await whipPublish(stack, pinned, 'patched', 'letmein');
      const { location, etag } = player.resource;
      const frag = (body: string, headers: Record<string, string> = {}) =>
        fetch(location, {
          method: 'PATCH',
          headers: { 'content-type': 'application/trickle-ice-sdpfrag', ...headers },
          body,
        });
      const mid = player.client.pc.getTransceivers()[0]!.mid!;
      const candidate = `a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\na=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n`;
      const okPatch = await frag(candidate, { 'if-match': etag });
      expect(okPatch.status).toBe(204);
      expect(okPatch.headers.get('etag')).toBe(etag);
      expect((await frag(candidate)).status).toBe(204);
      // An SDP is a WHEP player's answer to our offer (server-offer mode): not awaited here; never WHIP's.
      expect(
        (await fetch(location, { method: 'PATCH', headers: { 'content-type': 'application/sdp' }, body: candidate }))
          .status,
      ).toBe(protocol === 'whep' ? 409 : 415);
      expect((await frag(candidate, { 'content-type': 'text/plain' })).status).toBe(415);
      expect((await frag(candidate, { 'if-match': '"stale"' })).status).toBe(412);
      // An ICE restart needs new credentials (restarts themselves: iceRestart.test.ts, whepIceRestart.test.ts).
      const noCredentials = candidate.replace(/a=ice-(ufrag|pwd):\S+\r\n/g, '');
      expect((await frag(noCredentials, { 'if-match': '*' })).status).toBe(400);
      const current = player.client.pc.localDescription!.sdp;
      const sameUfrag = candidate.replace('a=ice-ufrag:abcd', /a=ice-ufrag:\S+/.exec(current)![0]);
      expect((await frag(sameUfrag, { 'if-match': '*' })).status).toBe(400);
      expect((await frag(candidate, { 'if-match': etag })).status).toBe(204);
      expect((await frag('a=candidate:1 1 udp 1 127.0.0.1 1 typ host\r\n')).status).toBe(400);
      // A wrong secret, a wrong protocol, an unknown session: 404, and the resource is still there.
      const url = new URL(location);
      const wrongSecret = url.href.replace(/[\w-]+$/, 'nope');
      expect((await del(wrongSecret)).status).toBe(404);
      expect((await del(url.href.replace(`/${protocol}/`, protocol === 'whep' ? '/whip/' : '/whep/'))).status).toBe(
        404,
      );
      expect((await del(`${stack.baseUrl}/${protocol}/resource/1/2/abc`)).status).toBe(404);
      expect((await fetch(location, { method: 'POST' })).status).toBe(405);
      expect((await del(location)).status).toBe(200);
      expect((await frag(candidate)).status).toBe(404);
      await player.client.close();
      await pub.client.close();
      await pub.p.close();
    }, 60_000);
});
