/**
 * Cascading between our stack and the reference Janus (§5.7), both directions, on the wire format
 * alone: publish_remotely on one side sends plain RTP (SSRC 1000 + mindex×10) to the ports that
 * add_remote_publisher opened on the other, where an ordinary subscriber receives the video; a
 * subscriber's keyframe request travels back over the latched RTCP port to the original publisher.
 * Skipped when the reference Janus (Debian `janus`) is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtcpPayloadSpecificFeedback } from 'werift';
import { waitFor } from '../relay/support/client.js';
import { PubClient, SubClient, VIDEOROOM } from '../relay/sfu/support.js';
import { referenceJanusFor, startReferenceJanus, type ReferenceJanus } from '../support/janusReference.js';
import { JanusWs, type JanusMsg } from '../support/janusWs.js';
import { hostAddress, iceOn } from '../support/referenceNet.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from '../videoroom/support/participant.js';

const available = referenceJanusFor('cascade differential');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A VideoRoom handle on the reference Janus. */
class JanusHandle {
  private constructor(
    readonly conn: JanusWs,
    readonly session: number,
    readonly handle: number,
  ) {}

  static async open(ref: ReferenceJanus): Promise<JanusHandle> {
    const conn = await JanusWs.connect(ref.wsUrl);
    const session = await conn.createSession();
    return new JanusHandle(conn, session, await conn.attach(session, VIDEOROOM));
  }

  async sync(body: Record<string, unknown>): Promise<Record<string, any>> {
    const r = await this.conn.request({ janus: 'message', session_id: this.session, handle_id: this.handle, body });
    if (r.janus !== 'success') throw new Error(JSON.stringify(r));
    return r.plugindata.data;
  }

  async ask(body: Record<string, unknown>, jsep?: { type: string; sdp: string }): Promise<JanusMsg> {
    const ack = await this.conn.request({
      janus: 'message',
      session_id: this.session,
      handle_id: this.handle,
      body,
      ...(jsep ? { jsep } : {}),
    });
    if (ack.janus !== 'ack') throw new Error(JSON.stringify(ack));
    return this.conn.waitEvent(
      (m) => m.janus === 'event' && m.transaction === ack.transaction,
      15_000,
      String(body.request),
    );
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

/** Counts PLIs arriving at a werift client. */
function countPlis(pc: {
  dtlsTransports: Array<{ onRtcp: { subscribe(f: (p: { type: number }) => void): unknown } }>;
}): { n: number } {
  const c = { n: 0 };
  pc.dtlsTransports[0]!.onRtcp.subscribe((p) => {
    if (
      p.type === RtcpPayloadSpecificFeedback.type &&
      (p as unknown as RtcpPayloadSpecificFeedback).feedback.count === 1
    )
      c.n++;
  });
  return c;
}

describe.skipIf(!available)('cascading between our stack and the reference Janus 1.1.2', () => {
  let ref: ReferenceJanus | undefined;
  let stack: Stack | undefined;
  const addr = available ? hostAddress() : '';

  beforeAll(async () => {
    const [r, s] = await Promise.allSettled([startReferenceJanus(), startStack()]);
    if (r.status === 'fulfilled') ref = r.value;
    if (s.status === 'fulfilled') stack = s.value;
    if (r.status === 'rejected') throw r.reason;
    if (s.status === 'rejected') throw s.reason;
    if (!ref) throw new Error('reference Janus did not start');
  }, 120_000);
  afterAll(async () => {
    ref?.stop();
    await stack?.stop();
  });

  it(
    'ours → Janus: our publisher is remotized into a Janus room and a Janus subscriber receives it; its PLI comes back',
    { timeout: 60_000 },
    async () => {
      const room = 6_500_000 + Math.floor(Math.random() * 1e5);
      const admin = await Participant.connect(stack!);
      const j = await JanusHandle.open(ref!);
      const sub = new SubClient();
      let pub: Awaited<ReturnType<typeof publish>> | undefined;
      try {
        await admin.sync({ request: 'create', room });
        pub = await publish(stack!, room, 3);
        const plis = countPlis(pub.client.pc as never);
        const mids = pub.client.pc.getTransceivers().map((t) => ({ mid: t.mid!, kind: t.kind }));
        const streams = mids.map((m, mindex) => ({
          mid: m.mid,
          mindex,
          type: m.kind,
          codec: m.kind === 'audio' ? 'opus' : 'vp8',
        }));

        expect((await j.sync({ request: 'create', room: 4321 })).videoroom).toBe('created');
        const added = await j.sync({
          request: 'add_remote_publisher',
          room: 4321,
          id: 33,
          display: 'from ours',
          streams,
        });
        expect(added).toMatchObject({ videoroom: 'success', room: 4321, id: 33 });
        const remotely = await admin.sync({
          request: 'publish_remotely',
          room,
          publisher_id: 3,
          remote_id: 'to-janus',
          host: '127.0.0.1',
          port: added.port,
          rtcp_port: added.rtcp_port,
        });
        expect(remotely).toEqual({ videoroom: 'success', room, id: 3, remote_id: 'to-janus' });
        pub.client.startSending(pub.video, 20);

        // A Janus subscriber of the remote publisher.
        const jsub = await JanusHandle.open(ref!);
        try {
          iceOn(sub.pc, addr);
          const attached = await jsub.ask({
            request: 'join',
            room: 4321,
            ptype: 'subscriber',
            streams: [{ feed: 33 }],
          });
          expect(attached.plugindata.data.videoroom, JSON.stringify(attached)).toBe('attached');
          const answer = await sub.answer(attached.jsep!.sdp as string);
          expect(
            (await jsub.ask({ request: 'start', room: 4321 }, { type: 'answer', sdp: answer })).plugindata.data.started,
          ).toBe('ok');
          await sub.connected(15_000);
          const vmid = (attached.plugindata.data.streams as Array<{ type: string; mid: string }>).find(
            (s) => s.type === 'video',
          )!.mid;
          await waitFor(
            () => (sub.byMid.get(vmid)?.packets ?? 0) >= 50,
            15_000,
            'video from our publisher at the Janus subscriber',
          );

          // The Janus subscriber's keyframe request reaches our publisher over the RTCP port.
          await sleep(1100);
          const before = plis.n;
          const t = sub.pc.getTransceivers().find((x) => x.mid === vmid)!;
          await t.receiver.sendRtcpPLI([...sub.byMid.get(vmid)!.ssrcs][0]!);
          await waitFor(() => plis.n > before, 10_000, 'PLI from the Janus subscriber at our publisher');
        } finally {
          await jsub.close();
        }
        expect(
          (await admin.sync({ request: 'unpublish_remotely', room, publisher_id: 3, remote_id: 'to-janus' })).videoroom,
        ).toBe('success');
        expect(await j.sync({ request: 'remove_remote_publisher', room: 4321, id: 33 })).toEqual({
          videoroom: 'success',
        });
      } finally {
        await sub.close();
        await pub?.client.close();
        await pub?.p.close();
        await j.close();
        await admin.close();
      }
    },
  );

  it(
    'Janus → ours: a Janus publisher is remotized into our room and our subscriber receives it; its PLI goes back',
    { timeout: 60_000 },
    async () => {
      const room = 6_600_000 + Math.floor(Math.random() * 1e5);
      const admin = await Participant.connect(stack!);
      const j = await JanusHandle.open(ref!);
      const pub = new PubClient(5, { audio: false });
      let sub: Awaited<ReturnType<typeof subscribe>> | undefined;
      try {
        expect((await j.sync({ request: 'create', room: 4322 })).videoroom).toBe('created');
        iceOn(pub.pc, addr);
        const joined = await j.ask(
          { request: 'joinandconfigure', room: 4322, ptype: 'publisher', id: 5, display: 'from janus' },
          { type: 'offer', sdp: await pub.offer() },
        );
        expect(joined.jsep?.type, JSON.stringify(joined)).toBe('answer');
        await pub.accept(joined.jsep!.sdp as string);
        await pub.connected(15_000);
        await j.conn.waitEvent(
          (m) => m.janus === 'webrtcup' && m.sender === j.handle,
          15_000,
          'Janus publisher webrtcup',
        );
        const vmid = pub.video!.mid!;

        await admin.sync({ request: 'create', room });
        const added = await admin.sync({
          request: 'add_remote_publisher',
          room,
          id: 55,
          display: 'from janus',
          streams: [{ mid: vmid, mindex: 0, type: 'video', codec: 'vp8' }],
        });
        expect(added).toMatchObject({ videoroom: 'success', room, id: 55 });
        const remotely = await j.sync({
          request: 'publish_remotely',
          room: 4322,
          publisher_id: 5,
          remote_id: 'to-ours',
          host: '127.0.0.1',
          port: added.port,
          rtcp_port: added.rtcp_port,
        });
        expect(remotely).toMatchObject({ videoroom: 'success', room: 4322, id: 5, remote_id: 'to-ours' });
        pub.start(50);

        sub = await subscribe(stack!, room, [55]);
        const smid = sub.streams.find((s) => s.type === 'video')!.mid as string;
        await waitFor(
          () => (sub!.client.receivedByMid.get(smid) ?? 0) >= 50,
          15_000,
          'video from the Janus publisher at our subscriber',
        );

        // Our subscriber's keyframe request reaches the Janus publisher through both gateways.
        await sleep(1100);
        const before = pub.plis;
        const t = sub.client.pc.getTransceivers().find((x) => x.mid === smid)!;
        await t.receiver.sendRtcpPLI(t.receiver.tracks[0]!.ssrc!);
        await waitFor(() => pub.plis > before, 10_000, 'PLI from our subscriber at the Janus publisher');

        expect(
          (await j.sync({ request: 'unpublish_remotely', room: 4322, publisher_id: 5, remote_id: 'to-ours' }))
            .videoroom,
        ).toBe('success');
        expect(await admin.sync({ request: 'remove_remote_publisher', room, id: 55 })).toEqual({
          videoroom: 'success',
        });
      } finally {
        pub.stop();
        await sub?.client.close();
        await sub?.s.close();
        await pub.close();
        await j.close();
        await admin.close();
      }
    },
  );
});
