/**
 * Resource symmetry of the VideoRoom: every resource of a participant (relay legs, subscriptions,
 * forwarders, timers, sockets, edge handles and sessions) is released when it leaves, is kicked, its
 * session ends by any path, or the room is destroyed.
 *
 * CYCLES (default 500) join/publish/subscribe/leave cycles run PARALLEL (default 4) at a time. In each
 * one a werift publisher joins a room and publishes, a werift subscriber subscribes to it and gets at
 * least one packet, then both go away by one of six rotating paths:
 *   leave        `leave` on both handles (the subscriber first gets its autoupdate), then hangup seen
 *   kick         the admin kicks the publisher; the subscriber hangs up its PeerConnection (a Janus
 *                `hangup`, which keeps the subscription) and its WebSocket closes
 *   detach       both handles detached (`hangup` + `detached` seen)
 *   destroy      both sessions destroyed with a Janus `destroy`
 *   wsclose      both WebSockets closed while media flows (the transport-gone path)
 *   roomdestroy  the cycle's own room is destroyed under them (`destroyed` + `hangup` seen)
 * Every FORWARD_EVERY-th cycle the publisher also has `rtp_forward`s (video with an `rtcp_port`, and
 * audio; every other time the audio one is stopped with `stop_rtp_forward` before the end) to UDP
 * sockets of the test, which must receive the forwarded video (told apart by its SSRC).
 * After each path the client PeerConnections and WebSockets are closed too. When all cycles are
 * done, the relay (/health, /debug/resources?gc=1) and the edge (/health) must be back to the
 * baseline taken before the first cycle, and the long-lived room must be empty.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from './support/participant.js';
import { getJsonOnFreshConnection as json } from '../support/getJson.js';

const CYCLES = Number(process.env.CYCLES ?? 500);
const PARALLEL = Number(process.env.PARALLEL ?? 4);
const PATHS = ['leave', 'kick', 'detach', 'destroy', 'wsclose', 'roomdestroy'] as const;
type Path = (typeof PATHS)[number];
const SECRET = 'cyc';
/** Every FORWARD_EVERY-th cycle (default 5; 0 = never) the publisher also gets RTP forwarders. */
const FORWARD_EVERY = Number(process.env.FORWARD_EVERY ?? 5);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VideoRoom participant resources are released by every ending path', () => {
  let stack: Stack;
  let admin: Participant;
  let relayUrl: string;
  const room = 8_000_000 + Math.floor(Math.random() * 1e6);

  beforeAll(async () => {
    stack = await startStack();
    relayUrl = stack.relays[0]!.httpUrl;
    admin = await Participant.connect(stack);
    expect(
      (await admin.sync({ request: 'create', room, secret: SECRET, publishers: PARALLEL * 2 + 2 })).videoroom,
    ).toBe('created');
  }, 120_000);

  afterAll(async () => {
    await admin?.close().catch(() => undefined);
    await stack?.stop();
  });

  /** The forwarders' destination (RTP, counted per SSRC) and the RTCP port they latch to. */
  const fwdRtp = createSocket('udp4');
  const fwdRtcp = createSocket('udp4');
  const fwdBySsrc = new Map<number, number>();
  fwdRtp.on('message', (m) => {
    if (m.length >= 12) fwdBySsrc.set(m.readUInt32BE(8), (fwdBySsrc.get(m.readUInt32BE(8)) ?? 0) + 1);
  });
  fwdRtcp.on('message', () => undefined);
  beforeAll(async () => {
    await Promise.all([fwdRtp, fwdRtcp].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
  });
  afterAll(() => {
    fwdRtp.close();
    fwdRtcp.close();
  });

  it(`${CYCLES} join/publish/subscribe/leave cycles end with relay sockets, timers and room state at baseline`, async () => {
    const relayBase = await json(`${relayUrl}/debug/resources?gc=1`, `Bearer ${stack.relaySecret}`);
    const relayHealthBase = await json(`${relayUrl}/health`);
    const edgeBase = await json(`${stack.baseUrl}/health?counts=1`);
    expect(relayHealthBase).toMatchObject({ peers: 0, portsInUse: 0 });
    expect(edgeBase.peerconnections).toBe(0);

    const failures: string[] = [];
    const perPath = new Map<Path, { n: number; ms: number }>();
    const started = Date.now();
    let next = 0;
    let forwarded = 0;

    async function cycle(i: number): Promise<void> {
      const path = PATHS[i % PATHS.length]!;
      const t0 = Date.now();
      const id = 100_000 + i;
      let r = room;
      if (path === 'roomdestroy') {
        r = room + 1 + i;
        const c = await admin.sync({ request: 'create', room: r, secret: SECRET });
        if (c.videoroom !== 'created') throw new Error(`create ${r}: ${JSON.stringify(c)}`);
      }
      const pub = await publish(stack, r, id);
      let sub: Awaited<ReturnType<typeof subscribe>> | undefined;
      try {
        pub.client.startSending(pub.video, 20);
        sub = await subscribe(stack, r, [id]);
        await waitFor(() => sub!.client.received.video > 0, 10_000, `cycle ${i}: a packet at the subscriber`);
        if (FORWARD_EVERY > 0 && i % FORWARD_EVERY === 0) {
          forwarded++;
          const vmid = sub.streams.find((x) => x.type === 'video')!.feed_mid as string;
          const amid = sub.streams.find((x) => x.type === 'audio')!.feed_mid as string;
          const f = await admin.sync({
            request: 'rtp_forward',
            room: r,
            publisher_id: id,
            secret: SECRET,
            host: '127.0.0.1',
            streams: [
              { mid: vmid, port: fwdRtp.address().port, rtcp_port: fwdRtcp.address().port, ssrc: id },
              { mid: amid, port: fwdRtp.address().port, ssrc: id + 1_000_000 },
            ],
          });
          expect(f.videoroom, JSON.stringify(f)).toBe('rtp_forward');
          expect(f.forwarders).toHaveLength(2);
          await waitFor(() => (fwdBySsrc.get(id) ?? 0) > 0, 10_000, `cycle ${i}: forwarded video`);
          if ((i / FORWARD_EVERY) % 2 === 1) {
            const audioFwd = f.forwarders.find((x: any) => x.type === 'audio');
            const stop = await admin.sync({
              request: 'stop_rtp_forward',
              room: r,
              publisher_id: id,
              stream_id: audioFwd.stream_id,
              secret: SECRET,
            });
            expect(stop, JSON.stringify(stop)).toMatchObject({
              videoroom: 'stop_rtp_forward',
              stream_id: audioFwd.stream_id,
            });
          }
        }
        const P = pub.p;
        const S = sub.s;
        const hungUp = (p: Participant, what: string) =>
          p.janus.waitEvent(
            (m) => m.janus === 'hangup' && m.sender === p.handleId,
            10_000,
            `cycle ${i} (${path}): ${what} hangup`,
          );
        switch (path) {
          case 'leave': {
            const l = await P.ask({ request: 'leave' });
            expect(l.plugindata?.data, JSON.stringify(l)).toMatchObject({ leaving: 'ok' });
            await S.waitData((d) => d.videoroom === 'updated', `cycle ${i}: autoupdate`);
            const sl = await S.ask({ request: 'leave' });
            expect(sl.plugindata?.data, JSON.stringify(sl)).toMatchObject({ left: 'ok' });
            await Promise.all([hungUp(P, 'publisher'), hungUp(S, 'subscriber')]);
            break;
          }
          case 'kick': {
            expect(await admin.sync({ request: 'kick', room: r, secret: SECRET, id })).toEqual({
              videoroom: 'success',
            });
            const k = await P.waitData((d) => d.leaving === 'ok', `cycle ${i}: kicked event`);
            expect(k.plugindata.data).toMatchObject({ room: r, reason: 'kicked' });
            const h = await S.janus.request({ janus: 'hangup', session_id: S.sessionId, handle_id: S.handleId });
            expect(h.janus, JSON.stringify(h)).toBe('success');
            await Promise.all([hungUp(P, 'publisher'), hungUp(S, 'subscriber')]);
            break;
          }
          case 'detach': {
            for (const p of [P, S]) {
              const d = await p.janus.request({ janus: 'detach', session_id: p.sessionId, handle_id: p.handleId });
              expect(d.janus, JSON.stringify(d)).toBe('success');
            }
            await Promise.all([hungUp(P, 'publisher'), hungUp(S, 'subscriber')]);
            for (const p of [P, S])
              await p.janus.waitEvent(
                (m) => m.janus === 'detached' && m.sender === p.handleId,
                10_000,
                `cycle ${i}: detached`,
              );
            break;
          }
          case 'destroy': {
            for (const p of [P, S]) {
              const d = await p.janus.request({ janus: 'destroy', session_id: p.sessionId });
              expect(d.janus, JSON.stringify(d)).toBe('success');
            }
            break;
          }
          case 'wsclose':
            await Promise.all([P.close(), S.close()]);
            break;
          case 'roomdestroy': {
            const d = await admin.sync({ request: 'destroy', room: r, secret: SECRET });
            expect(d).toMatchObject({ videoroom: 'destroyed', room: r });
            for (const [p, what] of [
              [P, 'publisher'],
              [S, 'subscriber'],
            ] as const) {
              const ev = await p.waitData((x) => x.videoroom === 'destroyed', `cycle ${i}: ${what} destroyed event`);
              expect(ev.plugindata.data.room).toBe(r);
              await hungUp(p, what);
            }
            break;
          }
        }
      } finally {
        await pub.client.close();
        await sub?.client.close();
        await pub.p.close();
        await sub?.s.close();
      }
      const s = perPath.get(path) ?? { n: 0, ms: 0 };
      s.n++;
      s.ms += Date.now() - t0;
      perPath.set(path, s);
    }

    async function worker(): Promise<void> {
      for (;;) {
        const i = next++;
        if (i >= CYCLES) return;
        try {
          await cycle(i);
        } catch (err) {
          failures.push(`cycle ${i} (${PATHS[i % PATHS.length]}): ${err instanceof Error ? err.message : String(err)}`);
          if (failures.length > 10) throw new Error(failures.join('\n'), { cause: err });
        }
      }
    }
    await Promise.all(Array.from({ length: PARALLEL }, () => worker()));
    const elapsed = Date.now() - started;
    console.log(
      `[cycles] ${CYCLES} cycles (${forwarded} with forwarders), ${PARALLEL} in parallel, in ${(elapsed / 1000).toFixed(1)} s; per path: ${[
        ...perPath,
      ]
        .map(([p, s]) => `${p} ${s.n}× ${(s.ms / s.n).toFixed(0)} ms`)
        .join(', ')}`,
    );
    expect(failures).toEqual([]);

    // Everything drains back to the baseline (closing is asynchronous: give it a few seconds).
    let relayRes: Record<string, any> = {};
    let relayHealth: Record<string, any> = {};
    let edge: Record<string, any> = {};
    const atBaseline = () =>
      relayHealth.peers === 0 &&
      relayHealth.portsInUse === 0 &&
      relayRes.udpHandles === relayBase.udpHandles &&
      relayRes.socketFds === relayBase.socketFds &&
      relayRes.timers === relayBase.timers &&
      edge.peerconnections === 0 &&
      edge.sessions === edgeBase.sessions &&
      edge.handles === edgeBase.handles;
    const deadline = Date.now() + 20_000;
    for (;;) {
      // One at a time, so that only one connection of ours is open at the relay.
      relayRes = await json(`${relayUrl}/debug/resources?gc=1`, `Bearer ${stack.relaySecret}`);
      relayHealth = await json(`${relayUrl}/health`);
      edge = await json(`${stack.baseUrl}/health?counts=1`);
      if (atBaseline() || Date.now() > deadline) break;
      await sleep(500);
    }
    console.log(
      `[cycles] relay baseline ${JSON.stringify(relayBase)} → ${JSON.stringify(relayRes)}; edge ${JSON.stringify({ s: edgeBase.sessions, h: edgeBase.handles })} → ${JSON.stringify({ s: edge.sessions, h: edge.handles, pc: edge.peerconnections })}`,
    );
    expect({ peers: relayHealth.peers, portsInUse: relayHealth.portsInUse }).toEqual({ peers: 0, portsInUse: 0 });
    expect({ udpHandles: relayRes.udpHandles, socketFds: relayRes.socketFds, timers: relayRes.timers }).toEqual({
      udpHandles: relayBase.udpHandles,
      socketFds: relayBase.socketFds,
      timers: relayBase.timers,
    });
    expect({ sessions: edge.sessions, handles: edge.handles, peerconnections: edge.peerconnections }).toEqual({
      sessions: edgeBase.sessions,
      handles: edgeBase.handles,
      peerconnections: 0,
    });
    expect((await admin.sync({ request: 'listparticipants', room })).participants).toEqual([]);
    expect((await admin.sync({ request: 'listforwarders', room, secret: SECRET })).publishers).toEqual([]);
    // The long-lived room still works: no stale publisher entry, its relay can be chosen again.
    const after = await publish(stack, room, 1);
    const listed = (await admin.sync({ request: 'listparticipants', room })).participants as Array<
      Record<string, unknown>
    >;
    expect(listed.map((p) => [p.id, p.display, p.publisher])).toEqual([[1, 'pub1', true]]);
    await after.client.close();
    await after.p.close();
    // The rooms destroyed by the cycles are gone.
    for (let i = 0; i < CYCLES; i++) {
      if (PATHS[i % PATHS.length] !== 'roomdestroy') continue;
      expect((await admin.sync({ request: 'exists', room: room + 1 + i })).exists).toBe(false);
    }
  }, 900_000);
});
