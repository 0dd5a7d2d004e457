import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient } from '../relay/support/client.js';
import { JanusWs } from '../support/janusWs.js';
import { startStack, type Stack } from '../support/stack.js';

const VR = 'janus.plugin.videoroom';

/** A VideoRoom handle over one WebSocket session. */
async function vrHandle(stack: Stack) {
  const janus = await JanusWs.connect(stack.wsUrl);
  const sessionId = await janus.createSession();
  const handleId = await janus.attach(sessionId, VR);
  const sync = async (body: Record<string, unknown>) => {
    const r = await janus.request({ janus: 'message', session_id: sessionId, handle_id: handleId, body });
    expect(r.janus).toBe('success');
    expect(r.plugindata.plugin).toBe(VR);
    return r.plugindata.data as Record<string, any>;
  };
  const async_ = async (body: Record<string, unknown>) => {
    const ack = await janus.request({ janus: 'message', session_id: sessionId, handle_id: handleId, body });
    expect(ack.janus).toBe('ack');
    const ev = await janus.waitEvent(
      (m) => m.janus === 'event' && m.transaction === ack.transaction,
      10_000,
      `answer to ${String(body.request)}`,
    );
    return ev.plugindata.data as Record<string, any>;
  };
  return { janus, sessionId, handleId, sync, async: async_ };
}

describe('VideoRoom signalling (rooms, participants, errors)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('creates, lists, edits and destroys rooms with Janus replies and error codes', async () => {
    const a = await vrHandle(stack);
    const room = 1000 + Math.floor(Math.random() * 1e6);
    expect(
      await a.sync({ request: 'create', room, description: 'test room', secret: 's3cret', publishers: 2 }),
    ).toEqual({ videoroom: 'created', room, permanent: false });
    expect((await a.sync({ request: 'create', room })).error_code).toBe(427);
    expect(await a.sync({ request: 'exists', room })).toEqual({ videoroom: 'success', room, exists: true });
    expect((await a.sync({ request: 'exists', room: room + 1 })).exists).toBe(false);
    const list = await a.sync({ request: 'list' });
    const entry = list.list.find((r: any) => r.room === room);
    expect(entry).toMatchObject({
      room,
      description: 'test room',
      max_publishers: 2,
      num_participants: 0,
      pin_required: false,
    });
    expect((await a.sync({ request: 'edit', room, secret: 'wrong', new_description: 'x' })).error_code).toBe(433);
    expect(await a.sync({ request: 'edit', room, secret: 's3cret', new_description: 'renamed' })).toEqual({
      videoroom: 'edited',
      room,
      permanent: false,
    });
    expect((await a.sync({ request: 'nope' })).error_code).toBe(423);
    expect((await a.sync({ request: 'exists' })).error_code).toBe(429);
    expect((await a.sync({ request: 'exists', room: true })).error_code).toBe(430);
    expect((await a.sync({})).error_code).toBe(429);
    expect((await a.sync({ request: 'destroy', room: room + 1 })).error_code).toBe(426);
    expect(await a.sync({ request: 'destroy', room, secret: 's3cret' })).toEqual({
      videoroom: 'destroyed',
      room,
      permanent: false,
    });
    expect((await a.sync({ request: 'exists', room })).exists).toBe(false);
    await a.janus.close();
  });

  it('joins publishers, announces joining/leaving, kicks, and tells everyone when the room is destroyed', async () => {
    const admin = await vrHandle(stack);
    const room = 2_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room, secret: 'k', pin: '1234', notify_joining: true });
    const alice = await vrHandle(stack);
    const bob = await vrHandle(stack);
    // As Janus: no pin is a missing element (429), a wrong one is unauthorized (433).
    expect((await alice.async({ request: 'join', ptype: 'publisher', room, display: 'alice' })).error_code).toBe(429);
    expect(
      (await alice.async({ request: 'join', ptype: 'publisher', room, display: 'alice', pin: '0000' })).error_code,
    ).toBe(433);
    const aj = await alice.async({ request: 'join', ptype: 'publisher', room, display: 'alice', pin: '1234', id: 11 });
    expect(aj).toMatchObject({ videoroom: 'joined', room, id: 11, publishers: [], attendees: [] });
    expect(typeof aj.private_id).toBe('number');
    expect((await bob.async({ request: 'join', ptype: 'publisher', room, pin: '1234', id: 11 })).error_code).toBe(436);
    const bj = await bob.async({ request: 'join', ptype: 'publisher', room, pin: '1234', id: 22, display: 'bob' });
    expect(bj.attendees).toEqual([{ id: 11, display: 'alice', publisher: false }]);
    const joining = await alice.janus.waitEvent((m) => m.plugindata?.data?.joining !== undefined, 5_000, 'joining');
    expect(joining.plugindata.data.joining).toMatchObject({ id: 22, display: 'bob' });
    expect((await alice.async({ request: 'join', ptype: 'publisher', room, pin: '1234' })).error_code).toBe(425);
    const parts = await admin.sync({ request: 'listparticipants', room });
    expect(parts.participants.map((p: any) => p.id).sort()).toEqual([11, 22]);
    expect((await admin.sync({ request: 'kick', room, secret: 'k', id: 99 })).error_code).toBe(428);
    expect(await admin.sync({ request: 'kick', room, secret: 'k', id: 22 })).toEqual({ videoroom: 'success' });
    const kicked = await bob.janus.waitEvent((m) => m.plugindata?.data?.leaving === 'ok', 5_000, 'kicked');
    expect(kicked.plugindata.data).toMatchObject({ room, reason: 'kicked' });
    const kickedNote = await alice.janus.waitEvent(
      (m) => m.plugindata?.data?.kicked !== undefined,
      5_000,
      'kicked notice',
    );
    expect(kickedNote.plugindata.data.kicked).toBe(22);
    // Bob's handle is free again after the kick.
    expect((await bob.async({ request: 'configure', audio: true })).error_code).toBe(424);
    expect(await alice.async({ request: 'leave' })).toMatchObject({ leaving: 'ok' });
    // As in Janus, a publisher that left stays on its handle with no room: 426, and 425 to a new join.
    expect(await alice.async({ request: 'configure', audio: true })).toMatchObject({
      error_code: 426,
      error: 'No such room',
    });
    expect((await alice.async({ request: 'leave' })).error_code).toBe(426);
    expect(await alice.async({ request: 'join', ptype: 'publisher', room, pin: '1234' })).toMatchObject({
      error_code: 425,
      error: 'Not in a room (create a new handle)',
    });
    expect((await admin.sync({ request: 'listparticipants', room })).participants).toEqual([]);
    await bob.async({ request: 'join', ptype: 'publisher', room, pin: '1234', id: 33 });
    await admin.sync({ request: 'destroy', room, secret: 'k' });
    const destroyed = await bob.janus.waitEvent(
      (m) => m.plugindata?.data?.videoroom === 'destroyed',
      5_000,
      'destroyed',
    );
    expect(destroyed.plugindata.data.room).toBe(room);
    for (const h of [admin, alice, bob]) await h.janus.close();
  });

  it('removes a participant whose session ends, by detach or by WebSocket close', async () => {
    const admin = await vrHandle(stack);
    const room = 3_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room });
    const a = await vrHandle(stack);
    const b = await vrHandle(stack);
    await a.async({ request: 'join', ptype: 'publisher', room, id: 1 });
    await b.async({ request: 'join', ptype: 'publisher', room, id: 2 });
    await a.janus.request({ janus: 'detach', session_id: a.sessionId, handle_id: a.handleId });
    await b.janus.close();
    const deadline = Date.now() + 5_000;
    let participants: unknown[] = [1];
    while (Date.now() < deadline && participants.length > 0) {
      participants = (await admin.sync({ request: 'listparticipants', room })).participants;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(participants).toEqual([]);
    await a.janus.close();
    await admin.janus.close();
  });

  it('joinandconfigure with an offer answers joined with the negotiated codecs and streams, as Janus 1.1.2 does', async () => {
    const admin = await vrHandle(stack);
    const room = 9_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room });
    const pub = await vrHandle(stack);
    const client = new EchoClient();
    client.addMedia('audio');
    client.addMedia('video');
    try {
      const offer = await client.createOffer();
      const ack = await pub.janus.request({
        janus: 'message',
        session_id: pub.sessionId,
        handle_id: pub.handleId,
        body: { request: 'joinandconfigure', ptype: 'publisher', room, id: 5, display: 'five' },
        jsep: { type: 'offer', sdp: offer },
      });
      const ev = await pub.janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction);
      expect(ev.jsep?.type).toBe('answer');
      const mids = client.pc.getTransceivers().map((t) => t.mid);
      expect(ev.plugindata.data).toMatchObject({
        videoroom: 'joined',
        room,
        id: 5,
        publishers: [],
        audio_codec: 'opus',
        video_codec: 'vp8',
        streams: [
          { type: 'audio', mindex: 0, mid: mids[0], codec: 'opus' },
          { type: 'video', mindex: 1, mid: mids[1], codec: 'vp8' },
        ],
      });
    } finally {
      await client.close();
      await pub.janus.close();
      await admin.sync({ request: 'destroy', room });
      await admin.janus.close();
    }
  });

  it('configure with an offer answers configured with the codecs of the kinds negotiated and the streams, also on a renegotiation', async () => {
    const admin = await vrHandle(stack);
    const room = 9_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room });
    const pub = await vrHandle(stack);
    const client = new EchoClient();
    client.addMedia('audio');
    /** configure with a new offer of `client`: the event answering it, after applying its answer. */
    const configure = async () => {
      const offer = await client.createOffer();
      const ack = await pub.janus.request({
        janus: 'message',
        session_id: pub.sessionId,
        handle_id: pub.handleId,
        body: { request: 'configure', audio: true, video: true },
        jsep: { type: 'offer', sdp: offer },
      });
      const ev = await pub.janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction);
      expect(ev.jsep?.type, JSON.stringify(ev)).toBe('answer');
      await client.acceptAnswer(ev.jsep.sdp);
      return ev.plugindata.data as Record<string, any>;
    };
    try {
      expect((await pub.async({ request: 'join', ptype: 'publisher', room, id: 6 })).videoroom).toBe('joined');
      // Audio only: no video_codec, as Janus sends it.
      const first = await configure();
      const mids = () => client.pc.getTransceivers().map((t) => t.mid);
      expect(first).toEqual({
        videoroom: 'event',
        room,
        configured: 'ok',
        audio_codec: 'opus',
        streams: [{ type: 'audio', mindex: 0, mid: mids()[0], codec: 'opus' }],
      });
      // A renegotiation that adds video reports both.
      client.addMedia('video');
      const second = await configure();
      expect(second).toEqual({
        videoroom: 'event',
        room,
        configured: 'ok',
        audio_codec: 'opus',
        video_codec: 'vp8',
        streams: [
          { type: 'audio', mindex: 0, mid: mids()[0], codec: 'opus' },
          { type: 'video', mindex: 1, mid: mids()[1], codec: 'vp8' },
        ],
      });
    } finally {
      await client.close();
      await pub.janus.close();
      await admin.sync({ request: 'destroy', room });
      await admin.janus.close();
    }
  });

  it('answers synchronous requests through admin message_plugin', async () => {
    const post = async (request: Record<string, unknown>) =>
      (await (
        await fetch(stack.adminUrl, {
          method: 'POST',
          body: JSON.stringify({
            janus: 'message_plugin',
            transaction: 'm',
            admin_secret: 'janusoverlord',
            plugin: VR,
            request,
          }),
        })
      ).json()) as any;
    const room = 4_000_000 + Math.floor(Math.random() * 1e6);
    expect((await post({ request: 'create', room })).response).toEqual({
      videoroom: 'created',
      room,
      permanent: false,
    });
    expect((await post({ request: 'exists', room })).response.exists).toBe(true);
    expect((await post({ request: 'join', room })).response.error_code).toBe(423);
    expect((await post({ request: 'destroy', room })).response.videoroom).toBe('destroyed');
  });
});
