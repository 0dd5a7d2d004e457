import { describe, expect, it } from 'vitest';
import { audioBridgePlugin } from '../../../edge/plugins/audiobridge/plugin.js';
import type { CommandArgs, RelayRef } from '../../../edge/relays/relayClient.js';
import type { CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { JanusApiError } from '../../../shared/janus/errors.js';
import { OFFER, ShardHarness } from '../core/harness.js';
import { Rooms } from './harness.js';

const AB = 'janus.plugin.audiobridge';
const ROOM = 2468;

/**
 * The AudioBridge plugin through the real session core on the in-memory host, its rooms in memory
 * (as their Durable Objects would run them): the relay client records commands and answers as a
 * relay would; `failing` makes an op fail.
 */
async function harness(stringIds = false) {
  const rooms = new Rooms();
  const t = await new ShardHarness({}, undefined, [audioBridgePlugin(rooms.stubs(), stringIds)]).start();
  rooms.deliver = (to, call) => t.core.requests.pluginCall(to.sessionId, to.handleId, call);
  const failing = new Set<CommandOp>();
  const command = t.relays.command.bind(t.relays);
  t.relays.command = async <O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> => {
    const out = await command(relay, cmd);
    if (failing.has(cmd.op)) throw new JanusApiError(490, `${cmd.op} failed`);
    if (cmd.op === 'peer.create' && !(cmd as CommandArgs<'peer.create'>).offer)
      return { offer: { type: 'offer', sdp: OFFER } } as CommandResult<O>;
    if (cmd.op === 'peer.offer') return { answer: { type: 'answer', sdp: OFFER } } as CommandResult<O>;
    if (cmd.op === 'ab.rtpJoin') return { ip: '192.0.2.7', port: 40000 } as CommandResult<O>;
    return out;
  };
  return { t, rooms, failing };
}

type T = Awaited<ReturnType<typeof harness>>['t'];

async function client(t: T) {
  const sid = await t.create();
  const r = await t.request({ janus: 'attach', session_id: sid, plugin: AB });
  const hid = (r.data as { id: number }).id;
  const message = (body: Record<string, unknown>, jsep?: Record<string, unknown>) =>
    t.request({ janus: 'message', session_id: sid, handle_id: hid, body, ...(jsep ? { jsep } : {}) });
  /** The plugindata of a synchronous request's `success`. */
  const sync = async (body: Record<string, unknown>) =>
    ((await message(body)).plugindata as { data: Record<string, unknown> }).data;
  /** The next `n` messages this session gets (long poll). */
  const heard = async (n: number) => {
    await t.settle();
    await new Promise((r) => setTimeout(r, 5));
    const body = (await t.core.poll(sid, n)).body as Record<string, unknown> | Record<string, unknown>[];
    return (Array.isArray(body) ? body : [body]).map((m) => ({
      janus: m.janus,
      data: (m.plugindata as { data?: Record<string, unknown> } | undefined)?.data,
      jsep: (m.jsep as { type?: string } | undefined)?.type,
    }));
  };
  /** An asynchronous request's answer (the events before it, other participants' news, are skipped). */
  const ask = async (body: Record<string, unknown>, jsep?: Record<string, unknown>) => {
    const ack = await message(body, jsep);
    expect(ack.janus).toBe('ack');
    await t.settle();
    await new Promise((r) => setTimeout(r, 5));
    for (;;) {
      const m = (await t.core.poll(sid, 1)).body as Record<string, unknown>;
      if (m.transaction === ack.transaction)
        return {
          janus: m.janus,
          data: (m.plugindata as { data?: Record<string, unknown> } | undefined)?.data,
          jsep: (m.jsep as { type?: string } | undefined)?.type,
        };
    }
  };
  return { sid, hid, message, sync, heard, ask };
}

describe('AudioBridge plugin (edge)', () => {
  it('answers synchronous requests, refuses bad ones with Janus codes', async () => {
    const { t } = await harness();
    const a = await client(t);
    expect(await a.sync({})).toMatchObject({ audiobridge: 'event', error_code: 483 });
    expect(await a.sync({ request: 5 })).toMatchObject({ error_code: 484 });
    expect(await a.sync({ request: 'suspend' })).toMatchObject({ error_code: 482 });
    expect(await a.sync({ request: 'create', room: 'x' })).toMatchObject({ error_code: 484 });
    expect(await a.sync({ request: 'create', room: ROOM })).toEqual({
      audiobridge: 'created',
      room: ROOM,
      permanent: false,
    });
    const made = await a.sync({ request: 'create' });
    expect(typeof made.room).toBe('number');
    expect(await a.sync({ request: 'create', room: ROOM + 1, is_private: true })).toMatchObject({
      audiobridge: 'created',
    });
    const list = (await a.sync({ request: 'list' })).list as Array<{ room: unknown }>;
    expect(list.map((r) => r.room).sort()).toEqual([ROOM, made.room].sort());
    expect(await a.sync({ request: 'exists', room: ROOM })).toMatchObject({ exists: true });
    expect(await a.sync({ request: 'listparticipants' })).toMatchObject({ error_code: 483 });
    expect(await a.sync({ request: 'resetdecoder' })).toMatchObject({ error_code: 487 });
    expect(await a.sync({ request: 'enable_mjrs', room: ROOM, mjrs: 'yes' })).toMatchObject({ error_code: 484 });
    expect(t.relays.commands).toEqual([]);
  });

  it('string ids when the deployment uses them: integers are refused (484)', async () => {
    const { t } = await harness(true);
    const a = await client(t);
    expect(await a.sync({ request: 'create', room: 5 })).toMatchObject({ error_code: 484 });
    const made = await a.sync({ request: 'create' });
    expect(typeof made.room).toBe('string');
    expect((await a.ask({ request: 'join', room: made.room, id: 7 })).data).toMatchObject({ error_code: 484 });
    expect((await a.ask({ request: 'join', room: made.room, id: 'me' })).data).toMatchObject({
      audiobridge: 'joined',
      id: 'me',
    });
  });

  it("join with an offer puts the participant in the room's mixer on its relay, answer in `joined`", async () => {
    const { t, rooms } = await harness();
    const a = await client(t);
    await a.sync({ request: 'create', room: ROOM, audiolevel_event: true });
    const joined = await a.ask({ request: 'join', room: ROOM, id: 1, display: 'alice' }, { type: 'offer', sdp: OFFER });
    expect(joined).toEqual({
      janus: 'event',
      data: { audiobridge: 'joined', room: ROOM, id: 1, participants: [] },
      jsep: 'answer',
    });
    expect(t.relays.ops('peer.create')).toEqual([
      expect.objectContaining({
        plugin: AB,
        handleId: a.hid,
        offer: { sdp: OFFER },
        options: {
          mixer: `ab:number:${ROOM}`,
          mixerSettings: {
            room: ROOM,
            samplingRate: 16000,
            spatial: false,
            audioLevelExt: true,
            talking: { packets: 100, average: 25 },
          },
          participant: 1,
          codec: 'opus',
          settings: { bitrate: 0, quality: 4, expectedLoss: 0, volume: 100, prebuffer: 6, muted: false },
        },
      }),
    ]);
    // negotiated, not yet up: Janus's setup comes with webrtcup (setup_media)
    expect(rooms.room(ROOM).ab.room.state!.participants[0]).toMatchObject({ id: 1, setup: false });
    expect(rooms.room(ROOM).ab.room.state!.relay).toMatchObject({ relayId: 'relay-1', linkId: 'link-1' });
  });

  it('the others hear setup:true when the PeerConnection is up (webrtcup), not when the relay answers', async () => {
    const { t, rooms } = await harness();
    const a = await client(t);
    const b = await client(t);
    await a.sync({ request: 'create', room: ROOM });
    await b.ask({ request: 'join', room: ROOM, id: 2 });
    await a.ask({ request: 'join', room: ROOM, id: 1, display: 'alice' }, { type: 'offer', sdp: OFFER });
    expect((await b.heard(1)).map((m) => m.data)).toEqual([
      { audiobridge: 'joined', room: ROOM, participants: [{ id: 1, display: 'alice', setup: false, muted: false }] },
    ]);
    // from another relay than the handle's: ignored
    t.core.relayEvent(a.sid, a.hid, 'link-other', { kind: 'webrtcup' });
    await t.settle();
    expect(rooms.room(ROOM).ab.room.state!.participants[1]!.setup).toBe(false);
    t.core.relayEvent(a.sid, a.hid, 'link-1', { kind: 'webrtcup' });
    expect((await b.heard(1)).map((m) => m.data)).toEqual([
      { audiobridge: 'event', room: ROOM, participants: [{ id: 1, display: 'alice', setup: true, muted: false }] },
    ]);
    expect(rooms.room(ROOM).ab.room.state!.participants[1]!.setup).toBe(true);
  });

  it('a join whose media cannot be placed is undone: error event, nobody in the room', async () => {
    const { t, rooms, failing } = await harness();
    const a = await client(t);
    const b = await client(t);
    await a.sync({ request: 'create', room: ROOM });
    await b.ask({ request: 'join', room: ROOM, id: 2 });
    failing.add('peer.create');
    const r = await a.ask({ request: 'join', room: ROOM, id: 1 }, { type: 'offer', sdp: OFFER });
    expect(r.data).toMatchObject({ audiobridge: 'event', error_code: 490 });
    expect(rooms.room(ROOM).ids()).toEqual([2]);
    // B heard A come and go.
    expect((await b.heard(2)).map((m) => m.data)).toEqual([
      { audiobridge: 'joined', room: ROOM, participants: [{ id: 1, setup: false, muted: false }] },
      { audiobridge: 'event', room: ROOM, leaving: 1 },
    ]);
    failing.clear();
    expect((await a.ask({ request: 'join', room: ROOM, id: 1 }, { type: 'offer', sdp: OFFER })).data).toMatchObject({
      audiobridge: 'joined',
    });
  });

  it('generate_offer: the relay offers, configure with the answer completes it', async () => {
    const { t, rooms } = await harness();
    const a = await client(t);
    await a.sync({ request: 'create', room: ROOM });
    const joined = await a.ask({ request: 'join', room: ROOM, id: 1, generate_offer: true });
    expect(joined).toMatchObject({ data: { audiobridge: 'joined' }, jsep: 'offer' });
    expect((t.relays.ops('peer.create')[0] as { offer?: unknown }).offer).toBeUndefined();
    expect(rooms.room(ROOM).ab.room.state!.participants[0]!.setup).toBe(false);
    const done = await a.ask({ request: 'configure' }, { type: 'answer', sdp: OFFER });
    expect(done).toEqual({ janus: 'event', data: { audiobridge: 'event', result: 'ok' }, jsep: undefined });
    expect(t.relays.ops('peer.answer')).toEqual([expect.objectContaining({ handleId: a.hid, sdp: OFFER })]);
    expect(rooms.room(ROOM).ab.room.state!.participants[0]!.setup).toBe(false);
    t.core.relayEvent(a.sid, a.hid, 'link-1', { kind: 'webrtcup' });
    await t.settle();
    expect(rooms.room(ROOM).ab.room.state!.participants[0]!.setup).toBe(true);
  });

  it('configure: settings reach the relay, an offer renegotiates, recording is refused and changes nothing', async () => {
    const { t, rooms } = await harness();
    const a = await client(t);
    await a.sync({ request: 'create', room: ROOM });
    expect((await a.ask({ request: 'configure', muted: true })).data).toMatchObject({ error_code: 487 });
    await a.ask({ request: 'join', room: ROOM, id: 1 }, { type: 'offer', sdp: OFFER });
    expect((await a.ask({ request: 'configure', muted: 'x' })).data).toMatchObject({ error_code: 484 });
    expect((await a.ask({ request: 'configure', generate_offer: true })).data).toMatchObject({ error_code: 484 });
    expect(t.relays.ops('ab.configure')).toEqual([]);
    expect(
      await a.ask(
        { request: 'configure', muted: true, volume: 50 },
        { type: 'offer', sdp: OFFER.replace('1 1', '1 2') },
      ),
    ).toEqual({ janus: 'event', data: { audiobridge: 'event', result: 'ok' }, jsep: 'answer' });
    expect(t.relays.ops('ab.configure')).toEqual([
      expect.objectContaining({ handleId: a.hid, settings: expect.objectContaining({ muted: true, volume: 50 }) }),
    ]);
    expect(t.relays.ops('peer.offer')).toHaveLength(1);
    expect(rooms.room(ROOM).ab.room.state!.participants[0]).toMatchObject({ muted: true });
    expect(await a.sync({ request: 'resetdecoder' })).toEqual({ audiobridge: 'success' });
    expect(t.relays.ops('ab.resetDecoder')).toEqual([expect.objectContaining({ handleId: a.hid })]);
  });

  it('changeroom moves the participant and its media to the other mixer; the old room hears it leave', async () => {
    const { t, rooms } = await harness();
    const a = await client(t);
    const b = await client(t);
    await a.sync({ request: 'create', room: ROOM });
    await a.sync({ request: 'create', room: ROOM + 1, sampling_rate: 48000 });
    await b.ask({ request: 'join', room: ROOM, id: 2 });
    await a.ask({ request: 'join', room: ROOM, id: 1 }, { type: 'offer', sdp: OFFER });
    await b.heard(2);
    expect((await a.ask({ request: 'changeroom', room: ROOM + 99 })).data).toMatchObject({ error_code: 485 });
    expect(rooms.room(ROOM).ids()).toEqual([2, 1]);
    const moved = await a.ask({ request: 'changeroom', room: ROOM + 1, id: 5 });
    expect(moved.data).toEqual({ audiobridge: 'roomchanged', room: ROOM + 1, id: 5, participants: [] });
    expect(t.relays.ops('ab.move')).toEqual([
      expect.objectContaining({
        handleId: a.hid,
        mixer: `ab:number:${ROOM + 1}`,
        participant: 5,
        mixerSettings: expect.objectContaining({ samplingRate: 48000 }),
      }),
    ]);
    expect(rooms.room(ROOM).ids()).toEqual([2]);
    expect(rooms.room(ROOM + 1).ids()).toEqual([5]);
    expect((await b.heard(1))[0]!.data).toEqual({ audiobridge: 'event', room: ROOM, leaving: 1 });
    expect(t.relays.ops('peer.hangup')).toEqual([]);
  });

  it('a handle detached while its join is in flight leaves at once: nobody in the room, nothing on a relay', async () => {
    for (const offer of [false, true]) {
      const { t, rooms } = await harness();
      const m = await client(t);
      await m.sync({ request: 'create', room: ROOM });
      const h = rooms.room(ROOM);
      let open!: () => void;
      h.joinGate = new Promise((r) => (open = r));
      const a = await client(t);
      const ack = await a.message(
        { request: 'join', room: ROOM, id: 1 },
        offer ? { type: 'offer', sdp: OFFER } : undefined,
      );
      expect(ack.janus).toBe('ack');
      expect((await t.request({ janus: 'detach', session_id: a.sid, handle_id: a.hid })).janus).toBe('success');
      open();
      await t.settle();
      await new Promise((r) => setTimeout(r, 5));
      expect(h.ids()).toEqual([]);
      expect(t.relays.ops('peer.create')).toEqual([]);
      expect(h.handlerEvents.map((e) => e.data.event)).toEqual(['created', 'joined', 'left']);
    }
  });

  it('leave, hangup, detach and session end each take the participant out exactly once', async () => {
    const { t, rooms } = await harness();
    const m = await client(t);
    await m.sync({ request: 'create', room: ROOM });
    const people = [];
    for (const id of [1, 2, 3, 4, 5]) {
      const p = await client(t);
      await p.ask({ request: 'join', room: ROOM, id }, { type: 'offer', sdp: OFFER });
      people.push(p);
    }
    const [a, b, c, d, e] = people as [typeof m, typeof m, typeof m, typeof m, typeof m];
    const list = () => rooms.room(ROOM).ids();

    expect(await a.ask({ request: 'leave' })).toEqual({
      janus: 'event',
      data: { audiobridge: 'left', room: ROOM, id: 1 },
      jsep: undefined,
    });
    await t.settle();
    expect(list()).toEqual([2, 3, 4, 5]);
    expect(t.relays.ops('peer.hangup').map((x) => x.handleId)).toEqual([a.hid]);
    expect((await a.ask({ request: 'leave' })).data).toMatchObject({ error_code: 487 });

    expect((await b.ask({ request: 'hangup' })).data).toEqual({ audiobridge: 'hangingup' });
    await t.settle();
    expect(list()).toEqual([3, 4, 5]);

    await t.request({ janus: 'hangup', session_id: c.sid, handle_id: c.hid });
    await t.settle();
    expect(list()).toEqual([4, 5]);

    await t.request({ janus: 'detach', session_id: d.sid, handle_id: d.hid });
    await t.settle();
    expect(list()).toEqual([5]);

    await t.request({ janus: 'destroy', session_id: e.sid });
    await t.settle();
    expect(list()).toEqual([]);
    expect(rooms.room(ROOM).ab.room.state!.relay).toBeUndefined();
    // Every PeerConnection was hung up once.
    const hungUp = t.relays.ops('peer.hangup').map((x) => x.handleId);
    expect(hungUp.sort()).toEqual([a.hid, b.hid, c.hid, d.hid, e.hid].sort());
  });

  it('kick: the kicked participant hears it, then loses its media; the others hear kicked and leaving', async () => {
    const { t, rooms } = await harness();
    const m = await client(t);
    await m.sync({ request: 'create', room: ROOM, secret: 'sec' });
    const a = await client(t);
    const b = await client(t);
    await a.ask({ request: 'join', room: ROOM, id: 1 }, { type: 'offer', sdp: OFFER });
    await b.ask({ request: 'join', room: ROOM, id: 2 });
    await a.heard(1);
    expect(await m.sync({ request: 'kick', room: ROOM, secret: 'sec', id: 1 })).toEqual({ audiobridge: 'success' });
    await t.settle();
    const toA = await a.heard(2);
    expect(toA[0]!.data).toEqual({ audiobridge: 'event', room: ROOM, kicked: 1 });
    expect(toA[1]!.janus).toBe('hangup');
    expect((await b.heard(2)).map((x) => x.data)).toEqual([
      { audiobridge: 'event', room: ROOM, kicked: 1 },
      { audiobridge: 'event', room: ROOM, leaving: 1 },
    ]);
    expect(rooms.room(ROOM).ids()).toEqual([2]);
    // The kicked handle may join again.
    expect((await a.ask({ request: 'join', room: ROOM, id: 1 })).data).toMatchObject({ audiobridge: 'joined' });
  });

  it('a plain-RTP participant: its leg on the relay, where to send in `joined`, hung up when it leaves', async () => {
    const { t, rooms } = await harness();
    const a = await client(t);
    await a.sync({ request: 'create', room: ROOM });
    expect((await a.ask({ request: 'join', room: ROOM, rtp: { ip: '10.0.0.1', port: 4000 } })).data).toMatchObject({
      error_code: 489,
    });
    await a.sync({ request: 'create', room: ROOM + 1, allow_rtp_participants: true });
    expect((await a.ask({ request: 'join', room: ROOM + 1, rtp: { port: 'x' } })).data).toMatchObject({
      error_code: 484,
    });
    const joined = await a.ask({
      request: 'join',
      room: ROOM + 1,
      id: 3,
      codec: 'pcmu',
      rtp: { ip: '10.0.0.1', port: 4000, payload_type: 0 },
    });
    expect(joined.data).toEqual({
      audiobridge: 'joined',
      room: ROOM + 1,
      id: 3,
      participants: [],
      rtp: { ip: '192.0.2.7', port: 40000, payload_type: 0 },
    });
    expect(t.relays.ops('ab.rtpJoin')).toEqual([
      expect.objectContaining({
        handleId: a.hid,
        codec: 'pcmu',
        rtp: { ip: '10.0.0.1', port: 4000, payloadType: 0 },
      }),
    ]);
    await a.ask({ request: 'configure', muted: true });
    expect(t.relays.ops('ab.configure')).toEqual([expect.objectContaining({ handleId: a.hid })]);
    await a.ask({ request: 'leave' });
    await t.settle();
    expect(rooms.room(ROOM + 1).ids()).toEqual([]);
    // The leg is no PeerConnection of the handle: the room hangs it up on its relay.
    expect(
      rooms
        .room(ROOM + 1)
        .relays.of('peer.hangup')
        .map((x) => x.cmd.handleId),
    ).toEqual([a.hid]);
  });

  it('changeroom of a plain-RTP participant moves its leg; a move the relay refuses takes it out everywhere', async () => {
    const { t, rooms, failing } = await harness();
    const a = await client(t);
    await a.sync({ request: 'create', room: ROOM, allow_rtp_participants: true });
    await a.sync({ request: 'create', room: ROOM + 1, allow_rtp_participants: true });
    await a.sync({ request: 'create', room: ROOM + 2 });
    await a.ask({ request: 'join', room: ROOM, id: 1, rtp: { ip: '10.0.0.1', port: 4000 } });
    // A room without plain-RTP participants refuses it (489) and it stays where it is.
    expect((await a.ask({ request: 'changeroom', room: ROOM + 2 })).data).toMatchObject({ error_code: 489 });
    expect(rooms.room(ROOM).ids()).toHaveLength(1);
    await a.sync({ request: 'create', room: ROOM + 3, allow_rtp_participants: true });
    expect((await a.ask({ request: 'changeroom', room: ROOM + 1 })).data).toMatchObject({
      audiobridge: 'roomchanged',
    });
    expect(t.relays.ops('ab.move')).toEqual([expect.objectContaining({ handleId: a.hid })]);
    expect(rooms.room(ROOM).relays.of('peer.hangup')).toEqual([]);
    expect(rooms.room(ROOM + 1).watched.size).toBe(1);
    expect(rooms.room(ROOM + 1).ids()).toHaveLength(1);

    failing.add('ab.move');
    expect((await a.ask({ request: 'changeroom', room: ROOM + 3 })).data).toMatchObject({ error_code: 490 });
    await t.settle();
    expect(rooms.room(ROOM + 1).ids()).toEqual([]);
    expect(rooms.room(ROOM + 3).ids()).toEqual([]);
    // Its leg was released (by the room it was in last, on its relay).
    expect(
      rooms
        .room(ROOM + 3)
        .relays.of('peer.hangup')
        .map((x) => x.cmd.handleId),
    ).toEqual([a.hid]);
    expect((await a.ask({ request: 'leave' })).data).toMatchObject({ error_code: 487 });
  });

  it('admin message_plugin runs the synchronous requests only', async () => {
    const { t } = await harness();
    const plugin = audioBridgePlugin(new Rooms().stubs());
    expect(await plugin.handleAdminMessage!({ request: 'create', room: 9 })).toMatchObject({ audiobridge: 'created' });
    expect(await plugin.handleAdminMessage!({ request: 'exists', room: 9 })).toMatchObject({ exists: true });
    expect(await plugin.handleAdminMessage!({ request: 'join', room: 9 })).toMatchObject({ error_code: 482 });
    expect(await plugin.handleAdminMessage!({})).toMatchObject({ error_code: 483 });
    expect(await plugin.handleAdminMessage!({ request: 5 })).toMatchObject({ error_code: 484 });
    expect(await plugin.handleAdminMessage!({ request: 'exists', room: 'x' })).toMatchObject({ error_code: 484 });
    void t;
  });

  it("admin handle_info shows the participant's group, as Janus's query_session, through configure and changeroom", async () => {
    const { t } = await harness();
    const a = await client(t);
    await a.sync({ request: 'create', room: ROOM, groups: ['x', 'y'] });
    await a.sync({ request: 'create', room: ROOM + 1, groups: ['z'] });
    const info = async () =>
      (await t.admin.run({ kind: 'handle_info', sessionId: a.sid, handleId: a.hid, pluginOnly: true })).info as {
        plugin_specific: Record<string, unknown>;
      };
    expect((await a.ask({ request: 'join', room: ROOM, id: 1 })).data).toMatchObject({ error_code: 483 });
    expect((await a.ask({ request: 'join', room: ROOM, id: 1, group: 'x' })).data).toMatchObject({
      audiobridge: 'joined',
    });
    expect((await info()).plugin_specific).toMatchObject({ room: ROOM, id: 1, group: 'x' });
    expect((await a.ask({ request: 'configure', group: 'y' })).data).toEqual({ audiobridge: 'event', result: 'ok' });
    expect((await info()).plugin_specific).toMatchObject({ group: 'y' });
    expect((await a.ask({ request: 'changeroom', room: ROOM + 1, id: 1, group: 'z' })).data).toMatchObject({
      audiobridge: 'roomchanged',
    });
    expect((await info()).plugin_specific).toMatchObject({ room: ROOM + 1, group: 'z' });
  });
});
