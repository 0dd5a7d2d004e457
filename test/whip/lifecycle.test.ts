import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCloseNotify } from '../../relay/peer/werift.js';
import { waitFor } from '../relay/support/client.js';
import { getJsonOnFreshConnection as getJson } from '../support/getJson.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant } from '../videoroom/support/participant.js';
import { del, whepPlay, whipPublish } from './support/whipHttp.js';

const SESSION_TIMEOUT = 4;
const CYCLES = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0);

describe('WHIP/WHEP resources: kept alive by their PeerConnection, released by DELETE and by session end', () => {
  let stack: Stack;
  let admin: Participant;
  let room: number;
  const edge = () => getJson(`${stack.baseUrl}/health?counts=1`);
  const relayHealth = () => getJson(`${stack.relays[0]!.httpUrl}/health`);
  const relayResources = () =>
    getJson(`${stack.relays[0]!.httpUrl}/debug/resources?gc=1`, `Bearer ${stack.relaySecret}`);
  const participants = async () =>
    ((await admin.sync({ request: 'listparticipants', room })).participants as unknown[]).length;

  beforeAll(async () => {
    stack = await startStack({ SESSION_TIMEOUT: String(SESSION_TIMEOUT) });
    admin = await Participant.connect(stack);
    room = 6_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room, publishers: 4 });
  }, 120_000);
  afterAll(async () => {
    await admin?.close().catch(() => undefined);
    await stack?.stop();
  });

  it('a WHIP session outlives the session timeout while its PeerConnection is up; once the client is gone it times out and leaves the room', async () => {
    // The admin's own session keeps itself alive over its WebSocket (keepalives) meanwhile.
    const keepalive = setInterval(
      () => void admin.janus.request({ janus: 'keepalive', session_id: admin.sessionId }),
      1000,
    );
    try {
      const base = await edge();
      const pub = await whipPublish(stack, room, 'long-lived');
      pub.client.startSending(pub.video, 50);
      await sleep((SESSION_TIMEOUT + 3) * 1000);
      expect((await edge()).sessions).toBe(base.sessions + 1);
      expect(await participants()).toBe(1);
      // The client goes away without DELETE, as a closing browser tab does (a DTLS close_notify): its
      // PeerConnection ends on the relay, then the session times out through the one termination path.
      pub.client.stopSending(pub.video);
      await sendCloseNotify(pub.client.pc.dtlsTransports[0]!);
      await sleep(50);
      await pub.client.close();
      const deadline = Date.now() + (SESSION_TIMEOUT + 15) * 1000;
      let now = await edge();
      while (now.sessions !== base.sessions && Date.now() < deadline) {
        await sleep(500);
        now = await edge();
      }
      expect({ sessions: now.sessions, handles: now.handles, pcs: now.peerconnections }).toEqual({
        sessions: base.sessions,
        handles: base.handles,
        pcs: base.peerconnections,
      });
      expect(await participants()).toBe(0);
      expect((await del(pub.resource.location)).status).toBe(404);
    } finally {
      clearInterval(keepalive);
    }
  }, 60_000);

  it(`${CYCLES} WHIP publish + WHEP play + DELETE cycles leave relay peers, ports, sockets and edge sessions at baseline`, async () => {
    const keepalive = setInterval(
      () => void admin.janus.request({ janus: 'keepalive', session_id: admin.sessionId }),
      1000,
    );
    try {
      const edgeBase = await edge();
      const relayBase = await relayResources();
      expect(await relayHealth()).toMatchObject({ peers: 0, portsInUse: 0 });
      const started = Date.now();
      const posts = { whip: [] as number[], whep: [] as number[] };
      for (let i = 0; i < CYCLES; i++) {
        const pub = await whipPublish(stack, room, `cycle-${i}`);
        const feed = (
          (await admin.sync({ request: 'listparticipants', room })).participants as Array<{ id: number }>
        )[0]!.id;
        pub.client.startSending(pub.video, 20);
        const player = await whepPlay(stack, room, feed);
        posts.whip.push(pub.resource.ms);
        posts.whep.push(player.resource.ms);
        await waitFor(() => player.client.received.video > 5, 10_000, `cycle ${i}: video at the player`);
        expect((await del(player.resource.location)).status).toBe(200);
        expect((await del(pub.resource.location)).status).toBe(200);
        await player.client.close();
        await pub.client.close();
      }
      const perCycle = (Date.now() - started) / CYCLES;
      let e: Record<string, any> = {};
      let h: Record<string, any> = {};
      let r: Record<string, any> = {};
      const deadline = Date.now() + 15_000;
      for (;;) {
        e = await edge();
        h = await relayHealth();
        r = await relayResources();
        const done =
          e.sessions === edgeBase.sessions &&
          e.handles === edgeBase.handles &&
          e.peerconnections === 0 &&
          h.peers === 0 &&
          h.portsInUse === 0 &&
          r.udpHandles === relayBase.udpHandles &&
          r.socketFds === relayBase.socketFds;
        if (done || Date.now() > deadline) break;
        await sleep(500);
      }
      console.log(
        `[whip cycles] ${CYCLES} cycles, ${perCycle.toFixed(0)} ms each; POST→201 median WHIP ${median(posts.whip)} ms, WHEP ${median(posts.whep)} ms; relay ${JSON.stringify({ udp: relayBase.udpHandles, fds: relayBase.socketFds })} → ${JSON.stringify({ udp: r.udpHandles, fds: r.socketFds })}`,
      );
      expect({ sessions: e.sessions, handles: e.handles, pcs: e.peerconnections }).toEqual({
        sessions: edgeBase.sessions,
        handles: edgeBase.handles,
        pcs: 0,
      });
      expect({ peers: h.peers, ports: h.portsInUse }).toEqual({ peers: 0, ports: 0 });
      expect({ udp: r.udpHandles, fds: r.socketFds }).toEqual({ udp: relayBase.udpHandles, fds: relayBase.socketFds });
      expect(await participants()).toBe(0);
    } finally {
      clearInterval(keepalive);
    }
  }, 180_000);
});
