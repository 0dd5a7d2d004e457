import { describe, expect, it } from 'vitest';
import { asyncCode, handle, relayA, relayB, RoomHarness, withRoom } from './harness.js';

/** The room's media requests on the in-memory host: what reaches the relay, Janus's answers, and nothing changed by bad input. */

const ROOM = 4321;

const room = (options: Record<string, unknown> = {}) => withRoom(ROOM, options);

describe('AudioBridge room media on the edge', () => {
  it('create with record starts the .wav on a relay picked for the room, which then mixes there', async () => {
    const h = await room({ record: true, record_dir: '/rec/r', record_file: 'mix.wav', sampling_rate: 24000 });
    const [sent] = h.relays.of('ab.record');
    expect(sent!.relay).toEqual(relayA);
    expect(sent!.cmd).toMatchObject({
      mixer: `ab:number:${ROOM}`,
      mixerSettings: { room: ROOM, samplingRate: 24000 },
      record: true,
      dir: '/rec/r',
      file: 'mix.wav',
    });
    expect(h.ab.room.state!.media!.recording).toBe('/rec/r/mix.wav');
    expect(h.ab.requests.summary()).toMatchObject({ record: true });
    expect(h.watched.has(relayA.linkId)).toBe(true);
    // a participant's media goes where the room mixes, whatever its usual placement
    const who = handle();
    h.ab.participants.join(who, { room: ROOM, secret: 'sec' });
    expect(h.ab.participants.placeMedia(who, relayB).relay).toEqual(relayA);
  });

  it('a recording that cannot start leaves no room (create) and changes nothing (enable_recording)', async () => {
    const h = new RoomHarness();
    h.relays.failing.set('ab.record', 403);
    expect(await asyncCode(() => h.ab.requests.create(ROOM, { room: ROOM, record: true, record_dir: '/etc' }))).toBe(
      403,
    );
    expect(h.ab.room.state).toBeUndefined();
    expect(h.rooms.has(ROOM)).toBe(false);
    const g = await room();
    g.relays.failing.set('ab.record', 403);
    expect(
      await asyncCode(() =>
        g.ab.sync('enable_recording', { room: ROOM, secret: 'sec', record: true, record_dir: '/x' }),
      ),
    ).toBe(403);
    expect(g.ab.room.state!.media).toMatchObject({ record: false });
    expect(g.ab.room.state!.media!.record_dir).toBeUndefined();
  });

  it('enable_recording needs the secret, starts and stops, and the relay says when the file closed', async () => {
    const h = await room();
    expect(await asyncCode(() => h.ab.sync('enable_recording', { room: ROOM, record: true }))).toBe(483);
    expect(await asyncCode(() => h.ab.sync('enable_recording', { room: ROOM, secret: 'x', record: true }))).toBe(489);
    expect(await asyncCode(() => h.ab.sync('enable_recording', { room: ROOM, secret: 'sec', record: 'yes' }))).toBe(
      484,
    );
    expect(h.relays.sent).toEqual([]);
    expect(await h.ab.sync('enable_recording', { room: ROOM, secret: 'sec', record: true })).toEqual({
      audiobridge: 'success',
      record: true,
    });
    // already recording: nothing new
    await h.ab.sync('enable_recording', { room: ROOM, secret: 'sec', record: true });
    expect(h.relays.of('ab.record')).toHaveLength(1);
    const path = h.ab.room.state!.media!.recording!;
    expect(await h.ab.sync('enable_recording', { room: ROOM, secret: 'sec', record: false })).toEqual({
      audiobridge: 'success',
      record: false,
    });
    expect(h.relays.of('ab.record')[1]!.cmd).toMatchObject({ record: false });
    h.ab.relayEvent({ kind: 'ab.recordingDone', room: ROOM, path, bytes: 44, durationMs: 0, dropped: 0 });
    expect(h.ab.room.state!.media!.recording).toBeUndefined();
  });

  it("rtp_forward checks as Janus, refuses SRTP/IPv6, answers the relay's address; listforwarders lists it", async () => {
    const h = await room();
    const bad: Array<[Record<string, unknown>, number]> = [
      [{ host: '127.0.0.1' }, 483],
      [{ port: 5000 }, 483],
      [{ host: '127.0.0.1', port: 0 }, 484],
      [{ host: '127.0.0.1', port: 5000, codec: 'g722' }, 484],
      [{ host: '127.0.0.1', port: 5000, host_family: 'ipv6' }, 484],
      [{ host: '127.0.0.1', port: 5000, srtp_suite: 32, srtp_crypto: 'abc' }, 484],
    ];
    for (const [body, code] of bad)
      expect(
        await asyncCode(() => h.ab.sync('rtp_forward', { room: ROOM, secret: 'sec', ...body })),
        JSON.stringify(body),
      ).toBe(code);
    expect(await asyncCode(() => h.ab.sync('rtp_forward', { room: ROOM, host: '127.0.0.1', port: 5000 }))).toBe(483);
    expect(h.relays.sent).toEqual([]);
    expect(h.ab.room.state!.media?.forwarders ?? []).toEqual([]);
    const out = await h.ab.sync('rtp_forward', {
      room: ROOM,
      secret: 'sec',
      host: 'localhost',
      port: 5000,
      codec: 'PCMU',
      ptype: 0,
      always_on: true,
    });
    expect(out).toEqual({
      audiobridge: 'success',
      room: ROOM,
      stream_id: expect.any(Number),
      host: '127.0.0.1',
      port: 5000,
    });
    expect(h.relays.of('ab.forward')[0]!.cmd).toMatchObject({
      streamId: out.stream_id,
      host: 'localhost',
      port: 5000,
      codec: 'pcmu',
      payloadType: 0,
      ssrc: 0,
      alwaysOn: true,
    });
    expect(await h.ab.sync('listforwarders', { room: ROOM, secret: 'sec' })).toEqual({
      audiobridge: 'forwarders',
      room: ROOM,
      rtp_forwarders: [
        {
          stream_id: out.stream_id,
          ip: '127.0.0.1',
          port: 5000,
          ssrc: out.stream_id,
          codec: 'pcmu',
          ptype: 0,
          always_on: true,
        },
      ],
    });
    // a relay refusal (no port) keeps nothing
    h.relays.failing.set('ab.forward', 499);
    expect(
      await asyncCode(() => h.ab.sync('rtp_forward', { room: ROOM, secret: 'sec', host: '127.0.0.1', port: 6000 })),
    ).toBe(499);
    expect(h.ab.room.state!.media!.forwarders).toHaveLength(1);
    // stop: a success even for an unknown stream, as Janus; the relay hears only of a known one
    expect(await h.ab.sync('stop_rtp_forward', { room: ROOM, secret: 'sec', stream_id: 7 })).toEqual({
      audiobridge: 'success',
      room: ROOM,
      stream_id: 7,
    });
    expect(h.relays.of('ab.stopForward')).toHaveLength(0);
    await h.ab.sync('stop_rtp_forward', { room: ROOM, secret: 'sec', stream_id: out.stream_id });
    expect(h.relays.of('ab.stopForward')[0]!.cmd).toMatchObject({ streamId: out.stream_id });
    expect(h.ab.room.state!.media!.forwarders).toEqual([]);
  });

  it('play_file, is_playing and stop_file; announcements reach every participant', async () => {
    const h = await room();
    const a = handle();
    h.ab.participants.join(a, { room: ROOM, secret: 'sec', id: 1 });
    expect(await asyncCode(() => h.ab.sync('play_file', { room: ROOM, secret: 'sec' }))).toBe(483);
    const out = await h.ab.sync('play_file', { room: ROOM, secret: 'sec', filename: '/a.opus', loop: true });
    expect(out).toEqual({ audiobridge: 'success', room: ROOM, file_id: expect.any(String) });
    const id = out.file_id as string;
    expect(h.relays.of('ab.play')[0]!.cmd).toMatchObject({ fileId: id, path: '/a.opus', loop: true });
    expect(
      await asyncCode(() => h.ab.sync('play_file', { room: ROOM, secret: 'sec', filename: '/b.opus', file_id: id })),
    ).toBe(490);
    expect(await h.ab.sync('is_playing', { room: ROOM, secret: 'sec', file_id: id })).toMatchObject({ playing: false });
    h.ab.relayEvent({ kind: 'ab.announcement', room: ROOM, fileId: id, playing: true });
    expect(await h.ab.sync('is_playing', { room: ROOM, secret: 'sec', file_id: id })).toMatchObject({ playing: true });
    expect(h.dataTo(a)).toContainEqual({ audiobridge: 'announcement-started', room: ROOM, file_id: id });
    expect(await h.ab.sync('stop_file', { room: ROOM, secret: 'sec', file_id: id })).toEqual({
      audiobridge: 'success',
      room: ROOM,
      file_id: id,
    });
    expect(h.relays.of('ab.stopPlay')[0]!.cmd).toMatchObject({ fileId: id });
    h.ab.relayEvent({ kind: 'ab.announcement', room: ROOM, fileId: id, playing: false });
    expect(h.dataTo(a)).toContainEqual({ audiobridge: 'announcement-stopped', room: ROOM, file_id: id });
    expect(await h.ab.sync('is_playing', { room: ROOM, secret: 'sec', file_id: id })).toMatchObject({ playing: false });
    // a relay refusal (not an Ogg Opus file) keeps nothing
    h.relays.failing.set('ab.play', 499);
    expect(await asyncCode(() => h.ab.sync('play_file', { room: ROOM, secret: 'sec', filename: '/x.txt' }))).toBe(499);
    expect(h.ab.room.state!.media!.files).toEqual([]);
  });

  it('destroy closes the room on its relay; a lost relay takes the media with it', async () => {
    const h = await room({ record: true });
    await h.ab.sync('play_file', { room: ROOM, secret: 'sec', filename: '/a.opus' });
    h.ab.relayLost(relayA.linkId);
    expect(h.ab.room.state!.media).toMatchObject({ record: false, forwarders: [], files: [] });
    expect(h.ab.room.state!.media!.recording).toBeUndefined();
    expect(h.ab.room.state!.relay).toBeUndefined();
    const g = await room();
    await g.ab.sync('rtp_forward', { room: ROOM, secret: 'sec', host: '127.0.0.1', port: 5000 });
    await g.ab.sync('destroy', { room: ROOM, secret: 'sec' });
    await g.settle();
    expect(g.relays.of('ab.room')[0]!.cmd).toMatchObject({ close: true, mixer: `ab:number:${ROOM}` });
    expect(g.watched.has(relayA.linkId)).toBe(false);
  });

  it('a room destroyed while its relay starts a file closes what was started there and answers 485', async () => {
    const h = await room();
    const command = h.relays.command.bind(h.relays);
    h.relays.command = (async (relay: typeof relayA, cmd: { op: string }) => {
      const out = await command(relay, cmd as never);
      if (cmd.op === 'ab.play') await h.ab.sync('destroy', { room: ROOM, secret: 'sec' });
      return out;
    }) as typeof h.relays.command;
    expect(await asyncCode(() => h.ab.sync('play_file', { room: ROOM, secret: 'sec', filename: '/a.opus' }))).toBe(485);
    await h.settle();
    const closes = h.relays.of('ab.room');
    expect(closes.at(-1)!.cmd).toMatchObject({ close: true, mixer: `ab:number:${ROOM}` });
    expect(h.ab.room.state).toBeUndefined();
  });

  it("mjrs: the room's, or a participant's record/filename, reach its relay once its media is up", async () => {
    const h = await room({ mjrs: true, mjrs_dir: '/rec/m', allow_rtp_participants: true });
    const a = handle();
    h.ab.participants.join(a, { room: ROOM, secret: 'sec', id: 1 });
    expect(h.relays.of('peer.record')).toEqual([]); // no media yet
    h.ab.participants.placeMedia(a, relayA);
    h.ab.participants.mediaReady(a, true);
    expect(h.relays.of('peer.record')).toEqual([]); // negotiated, not up yet
    h.ab.participants.setupMedia(a);
    const [first] = h.relays.of('peer.record');
    expect(first!.cmd).toMatchObject({
      ...a,
      record: true,
      dir: '/rec/m',
      base: expect.stringMatching(new RegExp(`^audiobridge-${ROOM}-user-1-\\d{16}$`)),
      naming: 'kind',
      report: { plugin: 'janus.plugin.audiobridge', ids: { room: ROOM, id: 1 } },
    });
    // enable_mjrs off stops it; a participant's own record starts it again under its filename
    expect(await h.ab.sync('enable_mjrs', { room: ROOM, secret: 'sec', mjrs: false })).toEqual({
      audiobridge: 'success',
      mjrs: false,
    });
    expect(h.relays.of('peer.record')[1]!.cmd).toMatchObject({ record: false });
    h.ab.participants.configure(a, { record: true, filename: 'sub/alice' });
    expect(h.relays.of('peer.record')[2]!.cmd).toMatchObject({ record: true, dir: '/rec/m/sub', base: 'alice' });
    // refused, changing nothing: a relative filename without mjrs_dir, a plain-RTP participant's record
    const g = await room({ allow_rtp_participants: true });
    const b = handle();
    expect(() => g.ab.participants.join(b, { room: ROOM, secret: 'sec', record: true, filename: 'x/y' })).toThrow(
      /mjrs_dir/,
    );
    expect(() => g.ab.participants.join(b, { room: ROOM, secret: 'sec', record: true }, { plainRtp: true })).toThrow(
      /plain-RTP/,
    );
    expect(g.ab.room.state!.participants).toEqual([]);
  });
});
