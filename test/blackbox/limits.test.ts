import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient } from '../relay/support/client.js';
import { relayDebug, startStack, type Stack } from '../support/stack.js';

/**
 * Issue 10's finding, end to end: a client without any secret could take every media port of a
 * relay with add_remote_publisher, and flood the relays with EchoTest offers so that everyone else
 * got "at capacity". Client addresses are given as Cloudflare gives them (`CF-Connecting-IP`).
 */
let stack: Stack;
let offer: string;

beforeAll(async () => {
  stack = await startStack({
    VIDEOROOM_ADMIN_KEY: 'k3y',
    OFFERS_PER_SECOND_PER_ADDRESS: '2',
    OFFER_BURST_PER_ADDRESS: '5',
    OFFERS_PER_SECOND_PER_SESSION: '0',
    VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_SESSION: '2',
    VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_ADDRESS: '3',
  });
  const client = new EchoClient();
  client.addMedia('audio');
  offer = await client.createOffer();
  await client.close();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** One Janus request over HTTP from a client address. */
async function post(address: string, path: string, body: Record<string, unknown>): Promise<any> {
  const res = await fetch(stack.httpUrl + path, {
    method: 'POST',
    headers: { 'CF-Connecting-IP': address },
    body: JSON.stringify({ transaction: crypto.randomUUID(), ...body }),
  });
  return res.json();
}

async function echoHandle(address: string): Promise<string> {
  const s = (await post(address, '', { janus: 'create' })).data.id;
  const h = (await post(address, `/${s}`, { janus: 'attach', plugin: 'janus.plugin.echotest' })).data.id;
  return `/${s}/${h}`;
}

const echoOffer = (address: string, path: string) =>
  post(address, path, { janus: 'message', body: { audio: true }, jsep: { type: 'offer', sdp: offer } });

describe('limits no client can exhaust', () => {
  it('a burst of offers from one address is limited (490, nothing opened) while another address still gets answers', async () => {
    const flooder = '198.51.100.7';
    const paths = await Promise.all(Array.from({ length: 12 }, () => echoHandle(flooder)));
    const replies = await Promise.all(paths.map((p) => echoOffer(flooder, p)));
    const acked = replies.filter((r) => r.janus === 'ack').length;
    const refused = replies.filter((r) => r.janus === 'error');
    expect(acked).toBeGreaterThanOrEqual(5);
    expect(acked).toBeLessThanOrEqual(7);
    expect(refused.length).toBe(12 - acked);
    for (const r of refused)
      expect(r.error).toEqual({ code: 490, reason: 'Too many offers from this client address (at most 2/s)' });
    const calm = await echoHandle('203.0.113.9');
    expect((await echoOffer('203.0.113.9', calm)).janus).toBe('ack');
    const session = calm.split('/')[1];
    const res = await fetch(`${stack.httpUrl}/${session}?maxev=5`);
    const events = (await res.json()) as any;
    const list = Array.isArray(events) ? events : [events];
    expect(list.some((m: any) => m.jsep?.type === 'answer')).toBe(true);
  }, 60_000);

  it('add_remote_publisher without the admin key is refused (429) however often, and the room stays empty', async () => {
    const path = await echoHandle('198.51.100.8');
    const vr = (
      await post('198.51.100.8', path.split('/').slice(0, 2).join('/'), {
        janus: 'attach',
        plugin: 'janus.plugin.videoroom',
      })
    ).data.id;
    const on = `/${path.split('/')[1]}/${vr}`;
    const body = (b: Record<string, unknown>) => ({ janus: 'message', body: b });
    const refusedCreate = await post('198.51.100.8', on, body({ request: 'create', room: 4242 }));
    expect(refusedCreate.plugindata.data).toMatchObject({ error_code: 429 });
    await post('198.51.100.8', on, body({ request: 'create', room: 4242, admin_key: 'k3y' }));
    const add = {
      request: 'add_remote_publisher',
      room: 4242,
      streams: [{ mid: 'a', mindex: 0, type: 'audio', codec: 'opus' }],
    };
    const codes = new Set<number>();
    for (let i = 0; i < 40; i++) codes.add((await post('198.51.100.8', on, body(add))).plugindata.data.error_code);
    expect(codes).toEqual(new Set([429]));
    const wrong = await post('198.51.100.8', on, body({ ...add, admin_key: 'guess' }));
    expect(wrong.plugindata.data).toMatchObject({ error_code: 433 });
    const list = await post('198.51.100.8', on, body({ request: 'listparticipants', room: 4242 }));
    expect(list.plugindata.data.participants).toEqual([]);
    const ok = await post('198.51.100.8', on, body({ ...add, admin_key: 'k3y' }));
    expect(ok.plugindata.data).toMatchObject({ videoroom: 'success', port: expect.any(Number) });
  }, 60_000);
});

/** A VideoRoom handle of a new session of a client address, and a way to send it plugin requests. */
async function videoRoomHandle(address: string) {
  const session = (await post(address, '', { janus: 'create' })).data.id as number;
  const handle = (await post(address, `/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
  return {
    session,
    request: async (body: Record<string, unknown>) =>
      (await post(address, `/${session}/${handle}`, { janus: 'message', body })).plugindata.data,
  };
}

describe('remote publishers per session and per client address', () => {
  const remotePorts = async () =>
    (await relayDebug<{ remotePortsInUse: number }>(stack, stack.relays[0]!.httpUrl, '/debug/resources'))
      .remotePortsInUse;

  it("one session, then one address with two sessions, hit their limit (432, no relay port taken) across rooms; another address still adds; removing one frees a slot; a destroyed session's publishers still count for its address", async () => {
    const [s1, s2, other] = await Promise.all([
      videoRoomHandle('198.51.100.30'),
      videoRoomHandle('198.51.100.30'),
      videoRoomHandle('203.0.113.30'),
    ]);
    const rooms = [4501, 4502];
    for (const room of rooms)
      expect(await s1.request({ request: 'create', room, secret: 's', admin_key: 'k3y' })).toMatchObject({
        videoroom: 'created',
      });
    const streams = [{ mid: 'a', mindex: 0, type: 'audio', codec: 'opus' }];
    const add = (who: typeof s1, room: number) =>
      who.request({ request: 'add_remote_publisher', room, secret: 's', admin_key: 'k3y', streams });
    const participants = async (room: number) =>
      (await other.request({ request: 'listparticipants', room })).participants.length;

    const first = await add(s1, 4501);
    expect(first).toMatchObject({ videoroom: 'success' });
    expect(await add(s1, 4502)).toMatchObject({ videoroom: 'success' });
    const ports = await remotePorts();
    expect(await add(s1, 4501)).toEqual({
      videoroom: 'event',
      error_code: 432,
      error: 'Maximum number of remote publishers per session (2) already reached',
    });
    expect(await remotePorts()).toBe(ports);
    expect([await participants(4501), await participants(4502)]).toEqual([1, 1]);

    // The address's second session adds one (3 for the address), then the address is full.
    expect(await add(s2, 4502)).toMatchObject({ videoroom: 'success' });
    const full = {
      videoroom: 'event',
      error_code: 432,
      error: 'Maximum number of remote publishers per client address (3) already reached',
    };
    expect(await add(s2, 4501)).toEqual(full);
    expect(await add(s2, 4502)).toEqual(full);
    expect([await participants(4501), await participants(4502)]).toEqual([1, 2]);
    expect(await add(other, 4501)).toMatchObject({ videoroom: 'success' });

    // Removing one of the address's remote publishers frees its slot, for any of its sessions.
    expect(
      await s1.request({ request: 'remove_remote_publisher', room: 4501, secret: 's', admin_key: 'k3y', id: first.id }),
    ).toEqual({
      videoroom: 'success',
    });
    expect(await add(s2, 4501)).toMatchObject({ videoroom: 'success' });
    const s3 = await videoRoomHandle('198.51.100.30');
    expect(await add(s3, 4501)).toEqual(full);

    // Remote publishers outlive their creator (as in Janus) and keep their relay ports: they still count for its address.
    expect((await post('198.51.100.30', `/${s1.session}`, { janus: 'destroy' })).janus).toBe('success');
    expect(await add(s3, 4502)).toEqual(full);
    expect([await participants(4501), await participants(4502)]).toEqual([2, 2]);
  }, 60_000);

  it('concurrent additions of one session in two rooms never pass its limit (a refused one takes no port), and the limit is reached exactly afterwards', async () => {
    const s = await videoRoomHandle('198.51.100.31');
    const other = await videoRoomHandle('203.0.113.31');
    for (const room of [4511, 4512]) await s.request({ request: 'create', room, secret: 's', admin_key: 'k3y' });
    const streams = [{ mid: 'a', mindex: 0, type: 'audio', codec: 'opus' }];
    const ports = await remotePorts();
    const replies = await Promise.all(
      [4511, 4512, 4511, 4512, 4511, 4512].map((room) =>
        s.request({ request: 'add_remote_publisher', room, secret: 's', admin_key: 'k3y', streams }),
      ),
    );
    // Reservations being counted are counted: a burst past the limit may even be refused whole, never admitted past it.
    const added = replies.filter((r) => r.videoroom === 'success').length;
    expect(added).toBeLessThanOrEqual(2);
    for (const r of replies.filter((x) => x.videoroom !== 'success'))
      expect(r).toMatchObject({ error_code: 432, error: expect.stringMatching(/per session \(2\)/) });
    expect(await remotePorts()).toBe(ports + 2 * added);
    const listed = await Promise.all(
      [4511, 4512].map(
        async (room) => (await other.request({ request: 'listparticipants', room })).participants.length,
      ),
    );
    expect(listed[0]! + listed[1]!).toBe(added);
    // Once the burst is over, the session adds up to its limit exactly.
    for (let i = added; i < 2; i++)
      expect(
        await s.request({ request: 'add_remote_publisher', room: 4511, secret: 's', admin_key: 'k3y', streams }),
      ).toMatchObject({ videoroom: 'success' });
    expect(
      await s.request({ request: 'add_remote_publisher', room: 4512, secret: 's', admin_key: 'k3y', streams }),
    ).toMatchObject({ error_code: 432 });
  }, 60_000);
});
