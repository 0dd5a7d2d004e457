import { describe, expect, it } from 'vitest';
import type { CommandArgs } from '../../../edge/relays/relayClient.js';
import type { CommandOp } from '../../../shared/control/commands.js';
import { JanusApiError } from '../../../shared/janus/errors.js';
import { audioVideo, handle, Harness, relayA, roomWithPublisher } from './harness.js';

/** The `peer.record` commands the relays got, without their relay. */
/** The `peer.record` commands sent, without the `report` each start carries (checked on its own). */
const records = (h: Harness) =>
  h.relays.of('peer.record').map((c) => {
    const { report: _report, ...cmd } = c.cmd as Record<string, unknown>;
    return cmd;
  });
const reports = (h: Harness) => h.relays.of('peer.record').map((c) => (c.cmd as Record<string, unknown>).report);
/** Janus's janus_get_real_time() at the harness's clock. */
const micros = (h: Harness) => h.time * 1000;

/** A publisher's recording fields (toEqual counts an undefined key as absent). */
function recordingOf(h: Harness, who: ReturnType<typeof handle>) {
  const p = h.vr.room.publisher(who)!;
  return { record: p.record, filename: p.filename, recording: p.recording };
}

/** A room with a publisher that joined but has not published yet. */
async function roomWithJoined(h: Harness, options: Record<string, unknown> = {}) {
  await h.vr.requests.create(1234, { room: 1234, ...options });
  const pub = handle();
  const joined = await h.vr.publishers.join(pub, { room: 1234, ptype: 'publisher' });
  return { pub, id: joined.id };
}

/** The publisher's offer was answered by the relay (first publish or renegotiation). */
function publish(h: Harness, pub: ReturnType<typeof handle>, recording?: Record<string, unknown>) {
  h.vr.publishers.preparePublish(pub);
  return h.vr.published(pub, audioVideo, relayA, { recording });
}

describe('VideoRoom recording: room options', () => {
  it('create keeps record, rec_dir and lock_record and list reports them as Janus (no rec_dir key when unset)', async () => {
    const h = new Harness();
    await h.vr.requests.create(5, { room: 5, record: true, rec_dir: '/rec/5', lock_record: true, secret: 's' });
    expect(h.vr.requests.summary()).toMatchObject({ record: true, rec_dir: '/rec/5', lock_record: true });
    const plain = new Harness();
    await plain.vr.requests.create(6, { room: 6 });
    const summary = plain.vr.requests.summary()!;
    expect(summary).toMatchObject({ record: false, lock_record: false });
    expect('rec_dir' in summary).toBe(false);
  });

  it.each([
    [{ record: 'yes' }, 430, 'Invalid element type (record should be a boolean)'],
    [{ rec_dir: 7 }, 430, 'Invalid element type (rec_dir should be a string)'],
    [{ lock_record: 1 }, 430, 'Invalid element type (lock_record should be a boolean)'],
    [{ rec_dir: 'relative/dir' }, 430, 'Invalid element (rec_dir: not an absolute path)'],
    [{ rec_dir: '/rec/../etc' }, 430, 'Invalid element (rec_dir: no . or .. parts)'],
  ])('create with %j is refused (%i) and creates nothing', async (options, code, message) => {
    const h = new Harness();
    await expect(h.vr.requests.create(5, { room: 5, ...options })).rejects.toMatchObject({ code, message });
    expect(h.saves).toBe(0);
    expect(h.rooms.has(5)).toBe(false);
  });

  it('with RECORDINGS_ROOT, a rec_dir outside it is refused at create and edit, inside it is kept', async () => {
    const h = new Harness();
    h.limits = { ...h.limits, recordingsRoot: '/srv/rec' };
    await expect(h.vr.requests.create(5, { room: 5, rec_dir: '/tmp/x' })).rejects.toMatchObject({
      code: 430,
      message: 'Invalid element (rec_dir: outside the recordings root /srv/rec)',
    });
    await expect(h.vr.requests.create(5, { room: 5, rec_dir: '/srv/recordings' })).rejects.toMatchObject({
      code: 430,
    });
    await h.vr.requests.create(5, { room: 5, rec_dir: '/srv/rec/room5', secret: 's' });
    expect(() => h.vr.requests.edit({ room: 5, secret: 's', new_rec_dir: '/var/x' })).toThrow(
      expect.objectContaining({
        code: 430,
        message: 'Invalid element (new_rec_dir: outside the recordings root /srv/rec)',
      }),
    );
    expect(h.vr.requests.summary()).toMatchObject({ rec_dir: '/srv/rec/room5' });
    h.vr.requests.edit({ room: 5, secret: 's', new_rec_dir: '/srv/rec' });
    expect(h.vr.requests.summary()).toMatchObject({ rec_dir: '/srv/rec' });
  });

  it('edit changes rec_dir and lock_record with the room secret, and nothing without it', async () => {
    const h = new Harness();
    await h.vr.requests.create(5, { room: 5, secret: 's' });
    expect(() => h.vr.requests.edit({ room: 5, new_lock_record: true })).toThrow(
      expect.objectContaining({ code: 429, message: 'Missing mandatory element (secret)' }),
    );
    expect(() => h.vr.requests.edit({ room: 5, secret: 'x', new_rec_dir: '/r' })).toThrow(
      expect.objectContaining({ code: 433 }),
    );
    expect(() => h.vr.requests.edit({ room: 5, secret: 's', new_rec_dir: 'r' })).toThrow(
      expect.objectContaining({ code: 430, message: 'Invalid element (new_rec_dir: not an absolute path)' }),
    );
    expect(() => h.vr.requests.edit({ room: 5, secret: 's', new_lock_record: 'yes' })).toThrow(
      expect.objectContaining({ code: 430 }),
    );
    expect(h.vr.requests.summary()).toMatchObject({ lock_record: false });
    h.vr.requests.edit({ room: 5, secret: 's', new_rec_dir: '/r', new_lock_record: true });
    expect(h.vr.requests.summary()).toMatchObject({ rec_dir: '/r', lock_record: true });
  });
});

describe('VideoRoom recording: enable_recording', () => {
  it.each([
    [{ room: 1234, secret: 's' }, 429, 'Missing mandatory element (record)'],
    [{ room: 1234, secret: 's', record: 'yes' }, 430, 'Invalid element type (record should be a boolean)'],
    [{ room: 1234, record: true }, 429, 'Missing mandatory element (secret)'],
    [{ room: 1234, secret: 'x', record: true }, 433, 'Unauthorized (wrong secret)'],
  ])('%j is refused (%i) and changes nothing', async (body, code, message) => {
    const h = new Harness();
    await roomWithPublisher(h, relayA, { secret: 's' });
    await expect(h.vr.sync('enable_recording', body)).rejects.toMatchObject({ code, message });
    expect(records(h)).toEqual([]);
    expect(h.vr.requests.summary()).toMatchObject({ record: false });
  });

  it('of a room that does not exist is 426', async () => {
    const h = new Harness();
    await expect(h.vr.sync('enable_recording', { room: 9, record: true })).rejects.toMatchObject({ code: 426 });
  });

  it('starts every publishing publisher under Janus names, later publishers when they publish, and stops them all', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h, relayA, { secret: 's', rec_dir: '/rec' });
    const later = await h.vr.publishers.join(handle(), { room: 1234, ptype: 'publisher' });
    const laterWho = h.vr.room.current().publishers.find((p) => p.id === later.id)!;
    expect(await h.vr.sync('enable_recording', { room: 1234, secret: 's', record: true })).toEqual({
      videoroom: 'success',
      record: true,
    });
    expect(records(h)).toEqual([
      {
        op: 'peer.record',
        ...pub,
        record: true,
        dir: '/rec',
        base: `videoroom-1234-user-${id}-${micros(h)}`,
        naming: 'mline',
      },
    ]);
    // What the edge needs to report the files' closing once the handle is gone.
    expect(reports(h)).toEqual([{ plugin: 'janus.plugin.videoroom', ids: { room: 1234, id } }]);
    expect(h.vr.requests.summary()).toMatchObject({ record: true });
    // Already recording: nothing changes (Janus), no second command.
    await h.vr.sync('enable_recording', { room: 1234, secret: 's', record: true });
    expect(records(h)).toHaveLength(1);
    // A publisher that publishes now is recorded at once.
    h.time += 5;
    await publish(h, { sessionId: laterWho.sessionId, handleId: laterWho.handleId });
    expect(records(h)[1]).toMatchObject({
      handleId: laterWho.handleId,
      record: true,
      base: `videoroom-1234-user-${later.id}-${micros(h)}`,
    });
    expect(await h.vr.sync('enable_recording', { room: 1234, secret: 's', record: false })).toEqual({
      videoroom: 'success',
      record: false,
    });
    expect(records(h).slice(2)).toEqual([
      { op: 'peer.record', ...pub, record: false },
      { op: 'peer.record', sessionId: laterWho.sessionId, handleId: laterWho.handleId, record: false },
    ]);
    expect(h.vr.requests.summary()).toMatchObject({ record: false });
  });

  it('when a relay cannot start one, those it started are stopped again and the request fails with 499, changing nothing', async () => {
    const h = new Harness();
    const first = await roomWithPublisher(h, relayA, { secret: 's' });
    const second = handle();
    await h.vr.publishers.join(second, { room: 1234, ptype: 'publisher' });
    await publish(h, second);
    failRecordingOf(h, second.handleId, 'disk full');
    await expect(h.vr.sync('enable_recording', { room: 1234, secret: 's', record: true })).rejects.toMatchObject({
      code: 499,
      message: expect.stringContaining('Error starting recording of user') as unknown,
    });
    expect(records(h).map((c) => [c.handleId, c.record])).toEqual([
      [first.pub.handleId, true],
      [second.handleId, true],
      [first.pub.handleId, false],
    ]);
    expect(h.vr.requests.summary()).toMatchObject({ record: false });
    expect(h.vr.room.current().publishers.every((p) => !p.record && !p.recording)).toBe(true);
  });
});

describe('VideoRoom recording: publishers', () => {
  it('publish with record and a filename records under <filename> in rec_dir once the relay answered the offer', async () => {
    const h = new Harness();
    const { pub } = await roomWithJoined(h, { rec_dir: '/rec' });
    const out = await publish(h, pub, { record: true, filename: 'alice' });
    expect(out.recordingError).toBeUndefined();
    expect(records(h)).toEqual([
      { op: 'peer.record', ...pub, record: true, dir: '/rec', base: 'alice', naming: 'mline' },
    ]);
    // A renegotiation: the relay opens files for new m-lines itself, nothing more to ask.
    await h.vr.published(pub, audioVideo, relayA, {});
    expect(records(h)).toHaveLength(1);
  });

  it('a recorded room records every publisher when it publishes, without rec_dir in the relay default folder', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithJoined(h, { record: true });
    await publish(h, pub);
    expect(records(h)).toEqual([
      { op: 'peer.record', ...pub, record: true, base: `videoroom-1234-user-${id}-${micros(h)}`, naming: 'mline' },
    ]);
  });

  it('an absolute filename without rec_dir goes to its own folder, as Janus writes it', async () => {
    const h = new Harness();
    const { pub } = await roomWithJoined(h);
    await publish(h, pub, { record: true, filename: '/srv/rec/alice' });
    expect(records(h)[0]).toMatchObject({ dir: '/srv/rec', base: 'alice' });
  });

  it.each([
    [{ rec_dir: '/rec' }, 'sub/alice', 'Invalid element (filename: a file name, not a path, in a room with rec_dir)'],
    [{}, 'sub/alice', 'Invalid element (filename: a file name or an absolute path)'],
    [{}, '/srv/../etc/alice', 'Invalid element (filename: no . or .. parts)'],
    [{}, '/srv/rec/', 'Invalid element (filename: no file name)'],
    [{}, 'x'.repeat(201), 'Invalid element (filename: file name longer than 200 characters)'],
  ])('in a room %j, filename %s is refused with 430 before anything changes', async (options, filename, message) => {
    const h = new Harness();
    const { pub } = await roomWithJoined(h, options);
    expect(() => h.vr.checkRecording({ record: true, filename })).toThrow(
      expect.objectContaining({ code: 430, message }),
    );
    await expect(h.vr.configurePublisher(pub, { recording: { record: true, filename } })).rejects.toMatchObject({
      code: 430,
    });
    expect(recordingOf(h, pub)).toEqual({});
  });

  it('a filename outside RECORDINGS_ROOT is refused with 430', async () => {
    const h = new Harness();
    h.limits = { ...h.limits, recordingsRoot: '/srv/rec' };
    await roomWithJoined(h);
    expect(() => h.vr.checkRecording({ filename: '/tmp/alice' })).toThrow(
      expect.objectContaining({
        code: 430,
        message: 'Invalid element (filename: outside the recordings root /srv/rec)',
      }),
    );
    expect(() => h.vr.checkRecording({ filename: '/srv/rec/a/alice' })).not.toThrow();
  });

  it('configure record true/false starts and stops a publishing publisher; one not publishing yet starts when it does', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h);
    await h.vr.configurePublisher(pub, { recording: { record: true } });
    expect(records(h)).toEqual([
      { op: 'peer.record', ...pub, record: true, base: `videoroom-1234-user-${id}-${micros(h)}`, naming: 'mline' },
    ]);
    await h.vr.configurePublisher(pub, { recording: { record: true } });
    expect(records(h)).toHaveLength(1);
    await h.vr.configurePublisher(pub, { recording: { record: false } });
    expect(records(h)[1]).toEqual({ op: 'peer.record', ...pub, record: false });

    const joined = handle();
    await h.vr.publishers.join(joined, { room: 1234, ptype: 'publisher' });
    await h.vr.configurePublisher(joined, { recording: { record: true, filename: 'bob' } });
    expect(records(h)).toHaveLength(2);
    await publish(h, joined);
    expect(records(h)[2]).toMatchObject({ handleId: joined.handleId, record: true, base: 'bob' });
  });

  it('lock_record: changing record or filename needs the room secret (429 without, 433 wrong), and changes nothing', async () => {
    const h = new Harness();
    const { pub } = await roomWithPublisher(h, relayA, { secret: 's', lock_record: true });
    await expect(h.vr.configurePublisher(pub, { recording: { record: true } })).rejects.toMatchObject({
      code: 429,
      message: 'Missing mandatory element (secret)',
    });
    await expect(h.vr.configurePublisher(pub, { recording: { filename: 'x', secret: 'bad' } })).rejects.toMatchObject({
      code: 433,
    });
    expect(() => h.vr.checkRecording({ record: true })).toThrow(expect.objectContaining({ code: 429 }));
    expect(records(h)).toEqual([]);
    expect(recordingOf(h, pub)).toEqual({});
    await h.vr.configurePublisher(pub, { recording: { record: true, secret: 's' } });
    expect(records(h)).toHaveLength(1);
  });

  it('lock_record in a room without a secret locks nothing (as Janus)', async () => {
    const h = new Harness();
    const { pub } = await roomWithPublisher(h, relayA, { lock_record: true });
    await h.vr.configurePublisher(pub, { recording: { record: true } });
    expect(records(h)).toHaveLength(1);
  });

  it('configure record true that the relay cannot start: 499 with its reason, and the publisher is as before', async () => {
    const h = new Harness();
    const { pub } = await roomWithPublisher(h);
    failRecordingOf(h, pub.handleId, 'Recording directory outside RELAY_RECORDINGS_ROOT');
    await expect(h.vr.configurePublisher(pub, { recording: { record: true, filename: 'a' } })).rejects.toMatchObject({
      code: 499,
      message: 'Error starting recording (Recording directory outside RELAY_RECORDINGS_ROOT)',
    });
    expect(recordingOf(h, pub)).toEqual({});
  });

  it('a publish whose recording the relay refuses still stands: the failure is returned for the plugin to report', async () => {
    const h = new Harness();
    const { pub } = await roomWithJoined(h);
    failRecordingOf(h, pub.handleId, 'disk full');
    const out = await publish(h, pub, { record: true });
    expect(out.recordingError).toBe('Error starting recording (disk full)');
    expect(out.streams).toHaveLength(2);
    expect(h.vr.room.publisher(pub)?.streams).toBeDefined();
  });

  it('unpublish stops the recording and forgets the filename (Janus), record stays: the next publish records again', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithJoined(h);
    await publish(h, pub, { record: true, filename: 'first' });
    h.vr.publishers.unpublished(pub, true);
    await h.settle();
    expect(records(h)[1]).toEqual({ op: 'peer.record', ...pub, record: false });
    expect(recordingOf(h, pub)).toEqual({ record: true });
    h.time += 1;
    await publish(h, pub);
    expect(records(h)[2]).toMatchObject({ record: true, base: `videoroom-1234-user-${id}-${micros(h)}` });
  });

  it('leave stops a recording publisher; a PeerConnection that died is only forgotten', async () => {
    const h = new Harness();
    const { pub } = await roomWithJoined(h, { record: true });
    await publish(h, pub);
    h.vr.leave(pub);
    await h.settle();
    expect(records(h).map((c) => c.record)).toEqual([true, false]);
  });

  it('string ids: separators in the default name are replaced', async () => {
    const h = new Harness();
    await h.vr.requests.create('a/b', { room: 'a/b', record: true });
    const pub = handle();
    await h.vr.publishers.join(pub, { room: 'a/b', ptype: 'publisher', id: 'x\\y' });
    h.vr.publishers.preparePublish(pub);
    await h.vr.published(pub, audioVideo, relayA, {});
    expect(records(h)[0]).toMatchObject({ base: `videoroom-a_b-user-x_y-${micros(h)}` });
  });
});

/** The relay refuses peer.record for one handle (as a relay would: a Janus code and a reason). */
function failRecordingOf(h: Harness, handleId: number, reason: string): void {
  const command = h.relays.command.bind(h.relays);
  h.relays.command = (async (relay, cmd: CommandArgs<CommandOp>) => {
    if (cmd.op === 'peer.record' && cmd.handleId === handleId && cmd.record) {
      h.relays.sent.push({ relay, cmd });
      throw new JanusApiError(490, reason);
    }
    return command(relay, cmd);
  }) as typeof h.relays.command;
}
