import { describe, expect, it } from 'vitest';
import { recordPlay } from '../../../edge/plugins/recordplay/plugin.js';
import type { CommandArgs, RelayRef } from '../../../edge/relays/relayClient.js';
import type { CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { JanusApiError } from '../../../shared/janus/errors.js';
import { MemoryStorage, OFFER, ShardHarness } from '../core/harness.js';

const RP = 'janus.plugin.recordplay';

/**
 * The Record&Play plugin through the real session core on the in-memory host: the relay client
 * records the commands, lists one folder and answers a playback peer's creation with an offer.
 */
async function harness(storage = new MemoryStorage()) {
  const t = await new ShardHarness({}, storage, [recordPlay]).start();
  const command = t.relays.command.bind(t.relays);
  t.relays.command = async <O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> => {
    const out = await command(relay, cmd);
    if (cmd.op === 'playback.list')
      return {
        recordings: [
          {
            id: 4242,
            name: 'Both',
            date: 'd1',
            audio: { file: 'a.mjr', codec: 'opus' },
            video: { file: 'v.mjr', codec: 'vp8' },
          },
          { id: 77, name: 'Audio', date: 'd2', audio: { file: 'a.mjr', codec: 'opus' }, data: { file: 'd.mjr' } },
        ],
      } as CommandResult<O>;
    const create = cmd as Partial<CommandArgs<'peer.create'>>;
    if (cmd.op === 'peer.create' && create.offer) {
      const id = (create.options as { record?: { id: number } }).record?.id;
      if (id === 4242) throw new JanusApiError(420, 'Recording 4242 already exists');
      return { answer: { type: 'answer', sdp: 'v=0\r\n' } } as CommandResult<O>;
    }
    if (cmd.op === 'peer.create') return { offer: { type: 'offer', sdp: 'v=0\r\n' } } as CommandResult<O>;
    return out;
  };
  return t;
}

async function handle(t: ShardHarness) {
  const sid = await t.create();
  const r = await t.request({ janus: 'attach', session_id: sid, plugin: RP });
  const hid = (r.data as { id: number }).id;
  const message = (body: Record<string, unknown>, jsep?: Record<string, unknown>) =>
    t.request({ janus: 'message', session_id: sid, handle_id: hid, body, ...(jsep ? { jsep } : {}) });
  /** The next `n` messages the client gets (long poll). */
  const heard = async (n: number) => {
    await t.settle();
    await new Promise((r) => setTimeout(r, 5));
    const body = (await t.core.poll(sid, n)).body as Record<string, unknown> | Record<string, unknown>[];
    return (Array.isArray(body) ? body : [body]).map((m) => ({
      janus: m.janus,
      data: (m.plugindata as { data?: unknown } | undefined)?.data,
      jsep: (m.jsep as { type?: string } | undefined)?.type,
    }));
  };
  return { sid, hid, message, heard };
}

describe('Record&Play plugin (edge)', () => {
  it("list asks the handle's relay for its folder and answers in Janus's shape", async () => {
    const t = await harness();
    const { hid, message } = await handle(t);
    const r = await message({ request: 'list' });
    expect(r.janus).toBe('success');
    expect((r.plugindata as { data: unknown }).data).toEqual({
      recordplay: 'list',
      list: [
        {
          id: 4242,
          name: 'Both',
          date: 'd1',
          audio: true,
          audio_codec: 'opus',
          video: true,
          video_codec: 'vp8',
          data: false,
        },
        { id: 77, name: 'Audio', date: 'd2', audio: true, audio_codec: 'opus', video: false, data: true },
      ],
    });
    expect(t.relays.ops('playback.list')).toEqual([expect.objectContaining({ handleId: hid })]);
    expect(t.relays.ops('peer.create')).toEqual([]);
  });

  it('play opens a playback peer for the recording and hands its offer over; a second play changes nothing', async () => {
    const t = await harness();
    const { hid, message, heard } = await handle(t);
    expect((await message({ request: 'play', id: 4242 })).janus).toBe('ack');
    expect(await heard(1)).toEqual([
      { janus: 'event', data: { recordplay: 'event', result: { status: 'preparing', id: 4242 } }, jsep: 'offer' },
    ]);
    expect(t.relays.ops('peer.create')).toEqual([
      expect.objectContaining({ plugin: RP, handleId: hid, options: { recording: 4242 } }),
    ]);
    await message({ request: 'play', id: 77 });
    expect((await heard(1))[0]!.data).toMatchObject({ error_code: 418 });
    expect(t.relays.ops('peer.create')).toHaveLength(1);
    await message({ request: 'start' });
    expect((await heard(1))[0]!.data).toEqual({ recordplay: 'event', error_code: 415, error: 'Missing SDP answer' });
    expect(t.relays.ops('peer.answer')).toEqual([]);
  });

  it('the playout survives a restart of its shard: start after it hands the answer to the relay', async () => {
    const storage = new MemoryStorage();
    const t = await harness(storage);
    const { sid, hid, message, heard } = await handle(t);
    await message({ request: 'play', id: 4242 });
    await heard(1);
    // Records are written behind (about a second later).
    t.clock.advance(1_200);
    await t.settle();
    const again = await harness(storage);
    const r = await again.request({
      janus: 'message',
      session_id: sid,
      handle_id: hid,
      body: { request: 'start' },
      jsep: { type: 'answer', sdp: OFFER },
    });
    expect(r.janus, JSON.stringify(r)).toBe('ack');
    await again.settle();
    await new Promise((res) => setTimeout(res, 5));
    const body = (await again.core.poll(sid, 1)).body as Record<string, unknown>;
    expect((body.plugindata as { data: unknown }).data).toEqual({ recordplay: 'event', result: { status: 'playing' } });
    expect(again.relays.ops('peer.answer')).toEqual([expect.objectContaining({ handleId: hid, sdp: OFFER })]);
    const info = (await again.admin.run({ kind: 'handle_info', sessionId: sid, handleId: hid, pluginOnly: true })) as {
      info: { plugin_specific?: unknown };
    };
    expect(info.info.plugin_specific).toEqual({
      type: 'player',
      recording_id: 4242,
      playing: true,
      hangingup: 0,
      destroyed: 0,
    });
  });

  it('stop: stopped with the id, then the PeerConnection is hung up on the relay and the client hears done', async () => {
    const t = await harness();
    const { message, heard } = await handle(t);
    await message({ request: 'play', id: 77 });
    await heard(1);
    await message({ request: 'stop' });
    const got = await heard(3);
    expect(got).toEqual([
      { janus: 'event', data: { recordplay: 'event', result: { status: 'stopped', id: 77 } }, jsep: undefined },
      { janus: 'event', data: { recordplay: 'event', result: 'done' }, jsep: undefined },
      { janus: 'hangup', data: undefined, jsep: undefined },
    ]);
    expect(t.relays.ops('peer.hangup')).toHaveLength(1);
    // The handle can play again.
    await message({ request: 'play', id: 77 });
    expect((await heard(1))[0]!.data).toMatchObject({ result: { status: 'preparing', id: 77 } });
  });

  it('configure, pause and resume are refused, not accepted and ignored', async () => {
    const t = await harness();
    const { message, heard } = await handle(t);
    const configure = await message({ request: 'configure', 'video-bitrate-max': 1000 });
    expect((configure.plugindata as { data: unknown }).data).toMatchObject({ recordplay: 'event', error_code: 499 });
    for (const request of ['pause', 'resume']) {
      await message({ request, name: 'x' });
      expect((await heard(1))[0]!.data).toMatchObject({ error_code: 499 });
    }
    expect(t.relays.commands).toEqual([]);
  });

  it('record: the offer is checked first, then the elements in Janus order; bad input reaches no relay', async () => {
    const t = await harness();
    const offer = { type: 'offer', sdp: OFFER };
    /** Each request on a handle of its own session (offers are limited to 5/s per session). */
    const refusal = async (body: Record<string, unknown>, jsep: Record<string, unknown> | undefined) => {
      const { message, heard } = await handle(t);
      expect((await message(body, jsep)).janus, JSON.stringify(body)).toBe('ack');
      return (await heard(1))[0]!.data;
    };
    const cases: Array<[Record<string, unknown>, Record<string, unknown> | undefined, number, string]> = [
      [{ request: 'record', name: 'x' }, undefined, 415, 'Missing SDP offer'],
      [{ request: 'record' }, offer, 415, 'Missing mandatory element (name)'],
      [{ request: 'record', name: '' }, offer, 414, 'Invalid element type (name should be a non-empty string)'],
      [{ request: 'record', name: 3 }, offer, 414, 'Invalid element type (name should be a non-empty string)'],
      [{ request: 'record', name: 'x', id: -1 }, offer, 414, 'Invalid element type (id should be a positive integer)'],
      [{ request: 'record', name: 'x', id: '5' }, offer, 414, 'Invalid element type (id should be a positive integer)'],
      [{ request: 'record', name: 'x', filename: 7 }, offer, 414, 'Invalid element type (filename should be a string)'],
      [{ request: 'record', name: 'x', update: 'y' }, offer, 414, 'Invalid element type (update should be a boolean)'],
    ];
    for (const [body, jsep, code, error] of cases)
      expect(await refusal(body, jsep), JSON.stringify(body)).toEqual({ recordplay: 'event', error_code: code, error });
    // an answer where the plugin expects an offer: the core refuses it before the plugin, as Janus's
    const { message } = await handle(t);
    const answer = await message({ request: 'record', name: 'x' }, { type: 'answer', sdp: OFFER });
    expect(answer.error).toMatchObject({ code: 469 });
    // file names stay inside the Record&Play folder
    for (const filename of ['../escape', 'a/b', 'a\\b', '..'])
      expect(await refusal({ request: 'record', name: 'x', filename }, offer)).toMatchObject({ error_code: 414 });
    // options this gateway does not implement are refused, never ignored
    for (const extra of [
      { videocodec: 'av1' },
      { audiocodec: 'g722' },
      { videocodec: 5 },
      { videoprofile: '2' },
      { opusred: true },
      { textdata: true },
    ])
      expect(await refusal({ request: 'record', name: 'x', ...extra }, offer), JSON.stringify(extra)).toMatchObject({
        error_code: typeof extra.videocodec === 'number' ? 414 : 499,
      });
    expect(await refusal({ request: 'record', name: 'x' }, { ...offer, update: true })).toMatchObject({
      error_code: 499,
    });
    expect(t.relays.ops('peer.create')).toEqual([]);
  });

  it('record: the relay answers the offer with {record}, the client gets recording with the answer; stop: stopped, done', async () => {
    const t = await harness();
    const { hid, message, heard } = await handle(t);
    await message(
      { request: 'record', name: 'My talk', id: 99, filename: 'talk', audiocodec: 'OPUS', videocodec: 'vp8' },
      { type: 'offer', sdp: OFFER },
    );
    expect(await heard(1)).toEqual([
      { janus: 'event', data: { recordplay: 'event', result: { status: 'recording', id: 99 } }, jsep: 'answer' },
    ]);
    expect(t.relays.ops('peer.create')[0]).toEqual(
      expect.objectContaining({
        plugin: RP,
        handleId: hid,
        offer: { sdp: OFFER },
        options: { record: { id: 99, name: 'My talk', filename: 'talk', audiocodec: 'opus', videocodec: 'vp8' } },
      }),
    );
    // a second record, or a play, while recording changes nothing
    await message({ request: 'record', name: 'again' }, { type: 'offer', sdp: OFFER });
    expect((await heard(1))[0]!.data).toMatchObject({ error_code: 418 });
    await message({ request: 'start' }, { type: 'answer', sdp: OFFER });
    expect((await heard(1))[0]!.data).toMatchObject({ error_code: 418 });
    expect(t.relays.ops('peer.create')).toHaveLength(1);
    await message({ request: 'stop' });
    expect(await heard(2)).toEqual([
      { janus: 'event', data: { recordplay: 'event', result: { status: 'stopped', id: 99 } }, jsep: undefined },
      { janus: 'event', data: { recordplay: 'event', result: 'done' }, jsep: undefined },
    ]);
    await t.settle();
    expect(t.relays.ops('peer.hangup')).toHaveLength(1);
  });

  it('record without an id gets a random one; an id the relay has already is 420 and leaves no session', async () => {
    const t = await harness();
    const { message, heard } = await handle(t);
    await message({ request: 'record', name: 'taken', id: 4242 }, { type: 'offer', sdp: OFFER });
    expect((await heard(1))[0]!.data).toEqual({
      recordplay: 'event',
      error_code: 420,
      error: 'Recording 4242 already exists',
    });
    await message({ request: 'record', name: 'fresh' }, { type: 'offer', sdp: OFFER });
    const event = (await heard(1))[0]!.data as { result: { status: string; id: number } };
    expect(event.result.status).toBe('recording');
    expect(Number.isSafeInteger(event.result.id) && event.result.id > 0).toBe(true);
  });
});
