import { describe, expect, it } from 'vitest';
import { echoTest } from '../../../edge/plugins/echotest/echotest.js';
import type { CommandArgs, RelayRef } from '../../../edge/relays/relayClient.js';
import type { CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { EventType } from '../../../shared/janus/events.js';
import { OFFER, ShardHarness } from '../core/harness.js';

/**
 * EchoTest recording (janus_echotest.c `record`/`filename`) through the real session core, on the
 * in-memory host: the relay client records the commands and answers `peer.record` with the files a
 * relay would open (one per kind).
 */
async function echoHarness() {
  const t = await new ShardHarness({}, undefined, [echoTest]).start();
  const command = t.relays.command.bind(t.relays);
  t.relays.command = async <O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> => {
    const out = await command(relay, cmd);
    if (cmd.op !== 'peer.record') return out;
    const rec = cmd as CommandArgs<'peer.record'>;
    const files = rec.record
      ? (['audio', 'video'] as const).map((kind, i) => ({
          mid: String(i),
          kind,
          path: `${rec.dir ?? '/relay/default'}/${rec.base}-${kind}.mjr`,
        }))
      : [];
    return { files } as CommandResult<O>;
  };
  const sid = await t.create();
  const hid = await t.attach(sid);
  const message = (body: Record<string, unknown>, jsep?: Record<string, unknown>) =>
    t.request({ janus: 'message', session_id: sid, handle_id: hid, body, ...(jsep ? { jsep } : {}) });
  /** The messages the client got so far (the plugin's answers come as events after the ack). */
  const messages = async (n: number) => {
    await t.settle();
    await new Promise((r) => setTimeout(r, 0));
    return heard(await t.core.poll(sid, n));
  };
  /** The plugin data of those events. */
  const events = async (n: number) =>
    (await messages(n)).map((m) => (m.plugindata as { data: Record<string, unknown> } | undefined)?.data);
  const records = () => t.relays.ops('peer.record') as CommandArgs<'peer.record'>[];
  return { t, sid, hid, message, messages, events, records };
}

const offer = { type: 'offer', sdp: OFFER };

/** What a long poll returned: one message, or an array of them. */
function heard(poll: { body?: unknown }): Record<string, unknown>[] {
  const body = poll.body as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(body) ? body : [body];
}

describe('EchoTest recording', () => {
  it('record with the offer records the echo per kind under Janus’s default name, and handlers see the files', async () => {
    const { t, hid, message, events, records } = await echoHarness();
    const before = Date.now() * 1000;
    expect((await message({ audio: true, record: true }, offer)).janus).toBe('ack');
    expect(await events(1)).toEqual([{ echotest: 'event', result: 'ok' }]);
    expect(t.relays.ops('peer.create')).toHaveLength(1);
    const [start] = records();
    expect(start).toMatchObject({ op: 'peer.record', handleId: hid, record: true, naming: 'kind' });
    expect(start!.dir).toBeUndefined();
    const [, id, micros] = /^echotest-(\d+)-(\d+)$/.exec(start!.base!) ?? [];
    expect(Number(id)).toBe(hid);
    expect(Number(micros)).toBeGreaterThanOrEqual(before);
    const plugin = t.events.filter((e) => e.type === EventType.PLUGIN).map((e) => e.event);
    expect(plugin.at(-1)).toEqual({
      plugin: 'janus.plugin.echotest',
      data: {
        audio_active: true,
        video_active: true,
        bitrate: 0,
        recording: { audio: `${start!.base}-audio.mjr`, video: `${start!.base}-video.mjr` },
      },
    });
  });

  it('a filename that is an absolute path records into its folder; record false stops; record true again opens new files', async () => {
    const { message, events, records } = await echoHarness();
    await message({ record: true, filename: '/srv/rec/echo' }, offer);
    await events(1);
    expect(records()).toEqual([expect.objectContaining({ record: true, dir: '/srv/rec', base: 'echo' })]);
    await message({ record: true, filename: 'again' });
    await events(1);
    expect(records().slice(1)).toEqual([
      expect.objectContaining({ record: false }),
      expect.objectContaining({ record: true, base: 'again', naming: 'kind' }),
    ]);
    await message({ record: false });
    expect(await events(1)).toEqual([{ echotest: 'event', result: 'ok' }]);
    expect(records()[3]).toMatchObject({ record: false });
  });

  it.each([
    ['a relative path', 'dir/echo', 'Invalid element (filename: a file name or an absolute path)'],
    ['no file name', '/srv/rec/', 'Invalid element (filename: no file name)'],
    ['a .. part', '/srv/../echo', 'Invalid element (filename: no . or .. parts)'],
  ])('a filename with %s is refused with 413 before the offer is handled', async (_what, filename, error) => {
    const { t, message, events, records } = await echoHarness();
    await message({ record: true, filename }, offer);
    expect(await events(1)).toEqual([{ echotest: 'event', error_code: 413, error }]);
    expect(t.relays.ops('peer.create')).toEqual([]);
    expect(records()).toEqual([]);
  });

  it('bad types are 413', async () => {
    const { message, events } = await echoHarness();
    await message({ record: 'yes' });
    await message({ filename: 5 });
    expect(await events(2)).toEqual([
      { echotest: 'event', error_code: 413, error: 'Invalid element type (record should be a boolean)' },
      { echotest: 'event', error_code: 413, error: 'Invalid element type (filename should be a string)' },
    ]);
  });

  it('record before any PeerConnection records nothing, as in Janus', async () => {
    const { message, events, records } = await echoHarness();
    await message({ record: true });
    expect(await events(1)).toEqual([{ echotest: 'event', result: 'ok' }]);
    expect(records()).toEqual([]);
  });

  it('a relay that cannot record: the request answers an error event with its reason', async () => {
    const { t, message, events } = await echoHarness();
    await message({ audio: true }, offer);
    await events(1);
    const command = t.relays.command.bind(t.relays);
    t.relays.command = async <O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>) => {
      if (cmd.op === 'peer.record') throw new Error('Recording directory outside RELAY_RECORDINGS_ROOT');
      return command(relay, cmd);
    };
    await message({ record: true });
    expect(await events(1)).toEqual([
      {
        echotest: 'event',
        error_code: 415,
        error: 'Error starting recording (Recording directory outside RELAY_RECORDINGS_ROOT)',
      },
    ]);
  });

  it('with the offer in the same message, a relay that cannot record leaves the call up: the answer, and handlers hear why', async () => {
    const { t, message, messages } = await echoHarness();
    const command = t.relays.command.bind(t.relays);
    t.relays.command = async <O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>) => {
      if (cmd.op === 'peer.record') throw new Error('disk full');
      return command(relay, cmd);
    };
    await message({ record: true }, offer);
    const [answer] = await messages(1);
    expect(answer).toMatchObject({
      plugindata: { data: { echotest: 'event', result: 'ok' } },
      jsep: { type: 'answer' },
    });
    expect(t.events.filter((e) => e.type === EventType.PLUGIN).map((e) => e.event.data)).toContainEqual({
      event: 'recording',
      error: 'Error starting recording (disk full)',
    });
  });

  it('a closed recording becomes a type-64 event for handlers only, also after the hangup; handle_info lists what records', async () => {
    const { t, sid, hid, message, events } = await echoHarness();
    await message({ record: true, filename: 'e' }, offer);
    await events(1);
    const { info } = (await t.admin.run({ kind: 'handle_info', sessionId: sid, handleId: hid, pluginOnly: false })) as {
      info: { plugin_specific?: Record<string, unknown> };
    };
    expect(info.plugin_specific).toMatchObject({ recording: { audio: 'e-audio.mjr', video: 'e-video.mjr' } });
    await t.request({ janus: 'hangup', session_id: sid, handle_id: hid });
    await t.settle();
    t.core.relayEvent(sid, hid, 'link-1', {
      kind: 'recording',
      file: { mid: '0', kind: 'audio', path: '/relay/default/e-audio.mjr' },
      bytes: 4096,
      durationMs: 1500,
      packets: 75,
      dropped: 0,
      damaged: false,
    });
    await t.settle();
    expect(t.events.filter((e) => e.type === EventType.PLUGIN).at(-1)).toMatchObject({
      event: {
        plugin: 'janus.plugin.echotest',
        data: {
          event: 'recordingdone',
          mid: '0',
          media: 'audio',
          path: '/relay/default/e-audio.mjr',
          size: 4096,
          duration: 1500,
          packets: 75,
          dropped: 0,
          damaged: false,
        },
      },
      opts: { sessionId: sid, handleId: hid },
    });
    // The client heard the echo end and the hangup, and nothing of the recording.
    expect(heard(await t.core.poll(sid, 5)).map((m) => m.janus)).toEqual(['event', 'hangup']);
  });

  it('a recording that closes after its session ended still reaches handlers, from what the relay was given', async () => {
    const { t, sid, hid, message, events, records } = await echoHarness();
    await message({ record: true, filename: 'gone' }, offer);
    await events(1);
    const [start] = records();
    expect(start!.report).toEqual({ plugin: 'janus.plugin.echotest', ids: {} });
    await t.request({ janus: 'destroy', session_id: sid });
    await t.settle();
    expect(t.core.listSessions()).toEqual([]);
    t.core.relayEvent(sid, hid, 'link-1', {
      kind: 'recording',
      file: { mid: '1', kind: 'video', path: '/relay/default/gone-video.mjr' },
      bytes: 9000,
      durationMs: 2000,
      packets: 60,
      dropped: 0,
      damaged: false,
      report: start!.report,
    });
    expect(t.events.filter((e) => e.type === EventType.PLUGIN).at(-1)).toMatchObject({
      event: {
        plugin: 'janus.plugin.echotest',
        data: { event: 'recordingdone', media: 'video', path: '/relay/default/gone-video.mjr', size: 9000 },
      },
      opts: { sessionId: sid, handleId: hid },
    });
  });
});
