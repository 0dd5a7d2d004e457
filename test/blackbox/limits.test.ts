import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';

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
