import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { getJsonOnFreshConnection as getJson } from '../support/getJson.js';
import { startStack, type Stack } from '../support/stack.js';
import { resources, until } from '../streaming/support/census.js';
import { avMedia, ffmpegSend, StreamingHandle } from '../streaming/support/viewer.js';
import { del, postOffer, whepPlayAt } from './support/whipHttp.js';

const CYCLES = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * WHEP playback of a Streaming mountpoint (`POST /whep/streaming/<id>`): the resource is a Janus
 * session with a Streaming handle whose `watch` carries the player's offer; the relay of the player's
 * region answers with the mountpoint's streams (through a cascade when the mountpoint listens
 * elsewhere); DELETE and the session's end release the viewer, its PeerConnection and the cascade.
 */
describe('WHEP: a werift player watches a Streaming mountpoint fed by ffmpeg', () => {
  let stack: Stack;
  let admin: StreamingHandle;
  const edge = () => getJson(`${stack.baseUrl}/health?counts=1`);
  const viewers = async (id: number) => (await admin.sync({ request: 'info', id })).info.viewers as number;
  const create = async (extra: Record<string, unknown> = {}) => {
    const id = 8_000_000 + Math.floor(Math.random() * 1e6);
    const c = await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia, ...extra });
    expect(c.streaming, JSON.stringify(c)).toBe('created');
    const port = (mid: string) => c.stream.ports.find((p: { mid: string }) => p.mid === mid).port as number;
    return { id, audio: port('a'), video: port('v') };
  };

  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
    admin = await StreamingHandle.connect(stack, 'eu');
  }, 120_000);
  afterAll(async () => {
    await admin?.close().catch(() => undefined);
    await stack?.stop();
  });

  it('plays the mountpoint at home and in another region; DELETE releases the viewer and the cascade', async () => {
    const keepalive = setInterval(
      () => void admin.janus.request({ janus: 'keepalive', session_id: admin.sessionId }),
      1000,
    );
    const base = { edge: await edge(), us: await resources(stack, 'us') };
    const mp = await create();
    const ffmpeg = ffmpegSend('127.0.0.1', mp.audio, mp.video, 30);
    try {
      const players = [];
      for (const region of ['eu', 'us']) {
        const p = await whepPlayAt(stack, `/whep/streaming/${mp.id}?region=${region}`);
        expect(p.resource.res.headers.get('content-type')).toMatch(/^application\/sdp/);
        expect(new URL(p.resource.location).pathname).toMatch(/^\/whep\/resource\/\d+\/\d+\/[\w-]+$/);
        expect(p.resource.answer.match(/^a=sendonly/gm)).toHaveLength(2);
        players.push(p);
      }
      for (const p of players)
        await waitFor(
          () => p.client.received.video > 60 && p.client.received.audio > 30,
          15_000,
          'ffmpeg media at the WHEP player',
        );
      expect(await viewers(mp.id)).toBe(2);
      expect((await resources(stack, 'us')).remotePublishers - base.us.remotePublishers).toBe(1);
      for (const p of players) {
        expect((await del(p.resource.location)).status).toBe(200);
        expect((await del(p.resource.location)).status).toBe(404);
        await p.client.close();
      }
      expect(await viewers(mp.id)).toBe(0);
      await until(
        async () => (await resources(stack, 'us')).remotePublishers === base.us.remotePublishers,
        10_000,
        'cascade removed',
      );
      const after = await edge();
      expect({ s: after.sessions, h: after.handles, pc: after.peerconnections }).toEqual({
        s: base.edge.sessions,
        h: base.edge.handles,
        pc: base.edge.peerconnections,
      });
    } finally {
      ffmpeg.kill('SIGKILL');
      clearInterval(keepalive);
    }
    await admin.sync({ request: 'destroy', id: mp.id });
  }, 90_000);

  it('answers 404 for an unknown mountpoint, 401 without and 403 with a wrong pin, and creates nothing', async () => {
    const base = await edge();
    const mp = await create({ pin: 'sesame' });
    const client = new EchoClient();
    client.addMedia('audio');
    client.addMedia('video');
    for (const t of client.pc.getTransceivers()) t.setDirection('recvonly');
    const offer = await client.createOffer();
    const status = async (path: string, token?: string, type?: string) => {
      const res = await postOffer(stack, path, offer, token, type);
      await res.text();
      return res.status;
    };
    expect(await status(`/whep/streaming/${mp.id + 1_000_000_000}`)).toBe(404);
    expect(await status(`/whep/streaming/not-a-number`)).toBe(404);
    expect(await status(`/whep/streaming/0`)).toBe(404);
    expect(await status(`/whep/streaming/${mp.id}`)).toBe(401);
    expect(await status(`/whep/streaming/${mp.id}`, 'wrong')).toBe(403);
    expect(await status(`/whep/streaming/${mp.id}`, 'sesame', 'text/plain')).toBe(415);
    const options = await fetch(`${stack.baseUrl}/whep/streaming/${mp.id}`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('accept-post')).toBe('application/sdp');
    const get = await fetch(`${stack.baseUrl}/whep/streaming/${mp.id}`);
    expect(get.status).toBe(405);
    expect(await viewers(mp.id)).toBe(0);
    const after = await edge();
    expect({ s: after.sessions, h: after.handles, pc: after.peerconnections }).toEqual({
      s: base.sessions,
      h: base.handles,
      pc: base.peerconnections,
    });
    // the right pin plays
    const ok = await postOffer(stack, `/whep/streaming/${mp.id}`, offer, 'sesame');
    await ok.text();
    expect(ok.status).toBe(201);
    expect(await viewers(mp.id)).toBe(1);
    expect((await del(stack.baseUrl + ok.headers.get('location')!, 'sesame')).status).toBe(200);
    expect(await viewers(mp.id)).toBe(0);
    await client.close();
    await admin.sync({ request: 'destroy', id: mp.id });
  }, 60_000);

  it(`${CYCLES} play + DELETE or session-end cycles leave viewers, peers, sockets and sessions at baseline`, async () => {
    const keepalive = setInterval(
      () => void admin.janus.request({ janus: 'keepalive', session_id: admin.sessionId }),
      1000,
    );
    const mp = await create();
    const ffmpeg = ffmpegSend('127.0.0.1', mp.audio, mp.video, 120);
    const edgeBase = await edge();
    const relayBase = { eu: await resources(stack, 'eu'), us: await resources(stack, 'us') };
    try {
      for (let i = 0; i < CYCLES; i++) {
        const region = i % 2 === 0 ? 'eu' : 'us';
        const p = await whepPlayAt(stack, `/whep/streaming/${mp.id}?region=${region}`);
        await waitFor(() => p.client.received.video > 5, 10_000, `cycle ${i}: video at the player`);
        if (i % 4 < 2) expect((await del(p.resource.location)).status).toBe(200);
        else {
          // the session ends some other way (admin destroy_session): the one termination path
          const sessionId = Number(new URL(p.resource.location).pathname.split('/')[3]);
          const r = await fetch(stack.adminUrl, {
            method: 'POST',
            body: JSON.stringify({
              janus: 'destroy_session',
              session_id: sessionId,
              admin_secret: 'janusoverlord',
              transaction: 't',
            }),
          });
          expect((await r.json()).janus).toBe('success');
          expect((await del(p.resource.location)).status).toBe(404);
        }
        await p.client.close();
      }
      let e: Record<string, any> = {};
      let r = relayBase;
      const deadline = Date.now() + 15_000;
      for (;;) {
        e = await edge();
        r = { eu: await resources(stack, 'eu'), us: await resources(stack, 'us') };
        const done =
          e.sessions === edgeBase.sessions &&
          e.handles === edgeBase.handles &&
          e.peerconnections === edgeBase.peerconnections &&
          (['eu', 'us'] as const).every(
            (k) =>
              r[k].peers === relayBase[k].peers &&
              r[k].remotePublishers === relayBase[k].remotePublishers &&
              r[k].forwarderSockets === relayBase[k].forwarderSockets &&
              r[k].udpHandles === relayBase[k].udpHandles,
          );
        if (done || Date.now() > deadline) break;
        await sleep(500);
      }
      expect({ s: e.sessions, h: e.handles, pc: e.peerconnections }).toEqual({
        s: edgeBase.sessions,
        h: edgeBase.handles,
        pc: edgeBase.peerconnections,
      });
      for (const k of ['eu', 'us'] as const)
        expect({
          peers: r[k].peers,
          remote: r[k].remotePublishers,
          fwd: r[k].forwarderSockets,
          udp: r[k].udpHandles,
        }).toEqual({
          peers: relayBase[k].peers,
          remote: relayBase[k].remotePublishers,
          fwd: relayBase[k].forwarderSockets,
          udp: relayBase[k].udpHandles,
        });
      expect(await viewers(mp.id)).toBe(0);
    } finally {
      ffmpeg.kill('SIGKILL');
      clearInterval(keepalive);
    }
    await admin.sync({ request: 'destroy', id: mp.id });
  }, 180_000);
});
