/**
 * Remote publishers never leak (Janus #3345/#3475/#3508 as requirements): CYCLES (default 1,000)
 * add_remote_publisher → publish_remotely with media flowing → a subscriber attaches and receives →
 * listparticipants → unpublish_remotely → remove_remote_publisher cycles, PARALLEL (default 4) at a
 * time, through the real stack. Afterwards the relay's UDP sockets, timers, remote-publisher ports
 * and forwarder sockets, and the rooms' state, are back to the baseline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from './support/participant.js';

const CYCLES = Number(process.env.REMOTE_CYCLES ?? 1000);
const PARALLEL = Number(process.env.REMOTE_PARALLEL ?? 4);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const json = async (url: string, authorization?: string): Promise<Record<string, any>> =>
  (await (
    await fetch(url, { headers: { connection: 'close', ...(authorization ? { authorization } : {}) } })
  ).json()) as Record<string, any>;

describe('remote publisher resources are released on every cycle', () => {
  let stack: Stack;
  let admin: Participant;
  let relayUrl: string;
  beforeAll(async () => {
    stack = await startStack();
    admin = await Participant.connect(stack);
    relayUrl = stack.relays[0]!.httpUrl;
  });
  afterAll(async () => {
    await admin?.close();
    await stack?.stop();
  });

  it(
    `${CYCLES} add → publish_remotely → subscribe → listparticipants → unpublish → remove cycles end at baseline`,
    { timeout: 600_000 },
    async () => {
      const source = 6_100_000 + Math.floor(Math.random() * 1e5);
      const target = source + 1;
      expect((await admin.sync({ request: 'create', room: source })).videoroom).toBe('created');
      expect((await admin.sync({ request: 'create', room: target, secret: 'rt' })).videoroom).toBe('created');
      // One long-lived publisher in the source room, sending all along.
      const pub = await publish(stack, source, 1);
      pub.client.startSending(pub.video, 20);
      // Like janus.js, the idle publisher session sends keepalives (sessions expire after 60 s).
      const keepalive = setInterval(
        () => void pub.p.janus.request({ janus: 'keepalive', session_id: pub.p.sessionId }).catch(() => undefined),
        20_000,
      );
      const mids = pub.client.pc.getTransceivers().map((t) => ({ mid: t.mid!, kind: t.kind }));
      const streams = mids.map((m, mindex) => ({
        mid: m.mid,
        mindex,
        type: m.kind,
        codec: m.kind === 'audio' ? 'opus' : 'vp8',
      }));

      await sleep(3000); // the publisher's set-up timers settle first
      const relayBase = await json(`${relayUrl}/debug/resources?gc=1`, `Bearer ${stack.relaySecret}`);
      expect(relayBase).toMatchObject({ remotePublishers: 0, remotePortsInUse: 0, forwarderSockets: 0 });
      const failures: string[] = [];
      const started = Date.now();

      async function cycle(i: number): Promise<void> {
        const id = 10_000 + i;
        const remoteId = `cycle-${i}`;
        const added = await admin.sync({ request: 'add_remote_publisher', room: target, secret: 'rt', id, streams });
        if (added.videoroom !== 'success') throw new Error(`add: ${JSON.stringify(added)}`);
        const remotely = await admin.sync({
          request: 'publish_remotely',
          room: source,
          publisher_id: 1,
          remote_id: remoteId,
          host: '127.0.0.1',
          port: added.port,
          rtcp_port: added.rtcp_port,
        });
        if (remotely.videoroom !== 'success') throw new Error(`publish_remotely: ${JSON.stringify(remotely)}`);
        const sub = await subscribe(stack, target, [id]);
        try {
          await waitFor(() => sub.client.received.video > 0, 10_000, `cycle ${i}: video at the subscriber`);
          const listed = (await admin.sync({ request: 'listparticipants', room: target })).participants as Array<{
            id: number;
          }>;
          if (!listed.some((p) => p.id === id)) throw new Error(`cycle ${i}: ${id} not listed`);
          const un = await admin.sync({
            request: 'unpublish_remotely',
            room: source,
            publisher_id: 1,
            remote_id: remoteId,
          });
          if (un.videoroom !== 'success') throw new Error(`unpublish_remotely: ${JSON.stringify(un)}`);
          const rm = await admin.sync({ request: 'remove_remote_publisher', room: target, secret: 'rt', id });
          if (rm.videoroom !== 'success') throw new Error(`remove: ${JSON.stringify(rm)}`);
        } finally {
          await sub.client.close();
          await sub.s.close();
        }
      }

      let next = 0;
      async function worker(): Promise<void> {
        for (;;) {
          const i = next++;
          if (i >= CYCLES) return;
          try {
            await cycle(i);
          } catch (err) {
            failures.push(`cycle ${i}: ${err instanceof Error ? err.message : String(err)}`);
            if (failures.length > 10) throw new Error(failures.join('\n'), { cause: err });
          }
        }
      }
      await Promise.all(Array.from({ length: PARALLEL }, () => worker()));
      const elapsed = Date.now() - started;
      clearInterval(keepalive);
      expect(failures).toEqual([]);

      // Closing is asynchronous: give the relay a few seconds to drain back to the baseline.
      let res: Record<string, unknown> = {};
      const atBaseline = () =>
        res.udpHandles === relayBase.udpHandles &&
        res.socketFds === relayBase.socketFds &&
        res.timers === relayBase.timers &&
        res.peers === relayBase.peers &&
        res.remotePublishers === 0 &&
        res.remotePortsInUse === 0 &&
        res.forwarderSockets === 0;
      const deadline = Date.now() + 20_000;
      for (;;) {
        res = await json(`${relayUrl}/debug/resources?gc=1`, `Bearer ${stack.relaySecret}`);
        if (atBaseline() || Date.now() > deadline) break;
        await sleep(500);
      }
      console.info(
        `[remote-cycles] ${CYCLES} cycles, ${PARALLEL} in parallel, in ${(elapsed / 1000).toFixed(1)} s; relay ${JSON.stringify({ ...relayBase, ports: undefined })} → ${JSON.stringify({ ...res, ports: undefined })}`,
      );
      const pick = (r: Record<string, unknown>) => ({
        udpHandles: r.udpHandles,
        socketFds: r.socketFds,
        timers: r.timers,
        peers: r.peers,
        remotePublishers: r.remotePublishers,
        remotePortsInUse: r.remotePortsInUse,
        forwarderSockets: r.forwarderSockets,
      });
      expect(pick(res)).toEqual(pick(relayBase));
      // Room state: only the source publisher is left, nothing remotized, nothing in the target room.
      expect((await admin.sync({ request: 'listremotes', room: source, publisher_id: 1 })).list).toEqual([]);
      expect((await admin.sync({ request: 'listparticipants', room: target })).participants).toEqual([]);
      expect(
        ((await admin.sync({ request: 'listparticipants', room: source })).participants as Array<{ id: number }>).map(
          (p) => p.id,
        ),
      ).toEqual([1]);
      await pub.client.close();
      await pub.p.close();
    },
  );
});
