import { describe, expect, it } from 'vitest';
import { relayA } from '../videoroom/harness.js';
import { av, StreamingHarness } from './harness.js';

type Media = Array<Record<string, unknown>>;

/** A harness with mountpoint 1 (secret `s`, audio `a` + video `v`) on relayA. */
async function withMountpoint(root?: string): Promise<StreamingHarness> {
  const h = new StreamingHarness();
  if (root !== undefined) h.recordingsRoot = root;
  await h.streaming.sync('create', { type: 'rtp', id: 1, secret: 's', media: av }, relayA);
  return h;
}

const mediaOf = async (h: StreamingHarness, secret?: string) =>
  ((await h.streaming.sync('info', { id: 1, ...(secret ? { secret } : {}) })).info as { media: Media }).media;

describe('Streaming recording (sync API over an in-memory host)', () => {
  it('start names each stream its file on the home relay; info shows it with the secret; stop closes it', async () => {
    const h = await withMountpoint();
    const started = await h.streaming.sync('recording', {
      action: 'start',
      id: 1,
      secret: 's',
      media: [
        { mid: 'v', filename: '/rec/mp1-video' },
        { mid: 'A', filename: 'mp1-audio' }, // mids match regardless of case, as Janus
        { mid: 'zz', filename: '/rec/none' }, // no such stream: skipped, as Janus
        'not an object',
      ],
    });
    expect(started).toEqual({ streaming: 'ok' });
    expect(h.relays.of('streaming.record').map((c) => ({ relay: c.relay, cmd: c.cmd }))).toEqual([
      {
        relay: relayA,
        cmd: {
          op: 'streaming.record',
          ...h.streaming.mounts.get(1).key,
          start: [
            { mid: 'v', base: 'mp1-video', dir: '/rec' },
            { mid: 'a', base: 'mp1-audio' },
          ],
          report: { plugin: 'janus.plugin.streaming', ids: { id: 1 } },
        },
      },
    ]);
    expect((await mediaOf(h, 's')).map((m) => m.recording)).toEqual(['mp1-audio.mjr', 'mp1-video.mjr']);
    expect((await mediaOf(h)).map((m) => m.recording)).toEqual([undefined, undefined]);
    expect(h.stored.get(1)!.streams[1]!.recording).toEqual({ filename: 'mp1-video.mjr', path: '/rec/mp1-video.mjr' });

    expect(await h.streaming.sync('recording', { action: 'stop', id: 1, secret: 's', video: true })).toEqual({
      streaming: 'ok',
    });
    expect(h.relays.of('streaming.record')[1]!.cmd).toMatchObject({ stop: ['v'] });
    expect((await mediaOf(h, 's')).map((m) => m.recording)).toEqual(['mp1-audio.mjr', undefined]);
    // the deprecated start names a kind: the video again, under a new name
    await h.streaming.sync('recording', { action: 'start', id: 1, secret: 's', video: '/rec/again' });
    expect(h.relays.of('streaming.record')[2]!.cmd).toMatchObject({ start: [{ mid: 'v', base: 'again' }] });
    await h.streaming.sync('recording', { action: 'STOP', id: 1, secret: 's', media: [{ mid: 'a' }, { mid: 'v' }] });
    expect(h.relays.of('streaming.record')[3]!.cmd).toMatchObject({ stop: ['a', 'v'] });
    expect((await mediaOf(h, 's')).map((m) => m.recording)).toEqual([undefined, undefined]);
  });

  it('bad input answers Janus codes and changes nothing (no relay command, nothing saved)', async () => {
    const h = await withMountpoint('/rec');
    await h.streaming.sync('recording', { action: 'start', id: 1, secret: 's', audio: '/rec/a' });
    const sent = h.relays.sent.length;
    const saved = structuredClone([...h.stored.entries()]);
    const start = { action: 'start', id: 1, secret: 's' };
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ id: 1, secret: 's' }, 453],
      [{ action: 5, id: 1, secret: 's' }, 454],
      [{ action: 'pause', id: 1, secret: 's' }, 454],
      [{ action: 'start', secret: 's' }, 453],
      [{ action: 'start', id: 'x', secret: 's' }, 454],
      [{ ...start, id: 99 }, 455],
      [{ action: 'start', id: 1, video: '/rec/v' }, 453],
      [{ ...start, secret: 5, video: '/rec/v' }, 454],
      [{ ...start, secret: 'x', video: '/rec/v' }, 457],
      [start, 452], // nothing named
      [{ ...start, media: 'v' }, 454],
      [{ ...start, video: true }, 454], // start takes filenames
      [{ ...start, audio: '/rec/a2' }, 452], // already recording
      [{ ...start, media: [{ mid: 'a', filename: '/rec/a3' }] }, 452],
      // one stream named twice, or already recording beside one that is not: nothing starts
      [
        {
          ...start,
          media: [
            { mid: 'v', filename: '/rec/v1' },
            { mid: 'v', filename: '/rec/v2' },
          ],
        },
        452,
      ],
      [
        {
          ...start,
          media: [
            { mid: 'v', filename: '/rec/v1' },
            { mid: 'a', filename: '/rec/a4' },
          ],
        },
        452,
      ],
      [{ ...start, media: [{ mid: 'v', filename: 'relative/v' }] }, 454],
      [{ ...start, media: [{ mid: 'v', filename: '/rec/../etc/v' }] }, 454],
      [{ ...start, media: [{ mid: 'v', filename: '/elsewhere/v' }] }, 454], // outside RECORDINGS_ROOT
      [{ ...start, media: [{ mid: 'v', filename: '/rec/' }] }, 454],
      [{ action: 'stop', id: 1, secret: 's' }, 452],
      [{ action: 'stop', id: 1, secret: 's', audio: '/rec/a' }, 454], // stop takes booleans
      [{ action: 'stop', id: 1, secret: 'x', audio: true }, 457],
    ];
    for (const [body, code] of cases) expect([body, await h.code('recording', body)]).toEqual([body, code]);
    // nothing to do is no error: an unknown mid, a stream not recording
    expect(await h.code('recording', { ...start, media: [{ mid: 'zz', filename: '/rec/x' }] })).toBe('ok');
    expect(await h.code('recording', { action: 'stop', id: 1, secret: 's', video: true })).toBe('ok');
    expect(h.relays.sent.length).toBe(sent);
    expect([...h.stored.entries()]).toEqual(saved);
  });

  it('a relay that cannot record answers 459 and nothing is recorded', async () => {
    const h = await withMountpoint();
    h.relays.failing.set('streaming.record', 490);
    expect(await h.code('recording', { action: 'start', id: 1, secret: 's', video: '/rec/v' })).toBe(459);
    expect((await mediaOf(h, 's')).map((m) => m.recording)).toEqual([undefined, undefined]);
    h.relays.failing.delete('streaming.record');
    expect(await h.code('recording', { action: 'start', id: 1, secret: 's', video: '/rec/v' })).toBe('ok');
  });

  it('two starts of one stream at once: one records, the other answers 452', async () => {
    const h = await withMountpoint();
    const body = { action: 'start', id: 1, secret: 's', media: [{ mid: 'v', filename: '/rec/v' }] };
    const codes = await Promise.all([h.code('recording', body), h.code('recording', body)]);
    expect(codes.sort()).toEqual([452, 'ok']);
    expect(h.relays.of('streaming.record').length).toBe(1);
  });

  it('disable stops every recording unless stop_recording is false; a recording survives eviction', async () => {
    const h = await withMountpoint();
    const start = { action: 'start', id: 1, secret: 's', audio: '/rec/a', video: '/rec/v' };
    await h.streaming.sync('recording', start);
    expect(await h.code('disable', { id: 1, secret: 's', stop_recording: 'no' })).toBe(454);
    expect(h.stored.get(1)!.enabled).toBe(true);
    expect(await h.streaming.sync('disable', { id: 1, secret: 's', stop_recording: false })).toEqual({
      streaming: 'ok',
    });
    const restored = new StreamingHarness([...h.stored.values()]);
    expect((await mediaOf(restored, 's')).map((m) => m.recording)).toEqual(['a.mjr', 'v.mjr']);
    expect(await restored.streaming.sync('disable', { id: 1, secret: 's' })).toEqual({ streaming: 'ok' });
    expect(restored.relays.of('streaming.record')[0]!.cmd).toMatchObject({ stop: ['a', 'v'] });
    expect((await mediaOf(restored, 's')).map((m) => m.recording)).toEqual([undefined, undefined]);
  });

  it('destroy closes the files with the mountpoint on its relay', async () => {
    const h = await withMountpoint();
    await h.streaming.sync('recording', { action: 'start', id: 1, secret: 's', video: '/rec/v' });
    expect(await h.streaming.sync('destroy', { id: 1, secret: 's' })).toMatchObject({ streaming: 'destroyed' });
    expect(h.relays.of('streaming.destroy').length).toBe(1);
    expect(h.stored.has(1)).toBe(false);
  });
});
