import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { renderPrometheus } from '../../../relay/metrics.js';
import { startRelay } from '../support/relay.js';
import { PubClient, publish, sleep, SubClient, subscribe } from '../sfu/support.js';
import { parseMjr, rtpOf } from './mjrParse.js';
import { openMjrFds, recordingEvents, recordingFixture, SECRET } from './fixture.js';

const fx = recordingFixture([44200, 44299]);
const outside = mkdtempSync(join(tmpdir(), 'rec-outside-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));
let nextId = 1;

const record = (session: number, handle: number, extra: Record<string, unknown> = {}) =>
  fx.link.request({ op: 'peer.record', sessionId: session, handleId: handle, record: true, ...extra } as CommandInput);

describe('peer.record: what is refused', () => {
  it('a directory outside RELAY_RECORDINGS_ROOT (lexically or through a symlink) is refused and nothing is created', async () => {
    const session = 7500;
    const pub = fx.track(new PubClient(nextId++));
    const p = await publish(fx.link, session, pub);
    for (const dir of [join(outside, 'new'), join(fx.root, '..', 'escape'), '/etc/janus-recordings']) {
      const r = await record(session, p.handle, { dir });
      expect(r).toMatchObject({ ok: false, error: { code: 403 } });
      if (!r.ok) expect(r.error.reason).toMatch(/outside RELAY_RECORDINGS_ROOT/);
      expect(existsSync(dir)).toBe(false);
    }
    symlinkSync(outside, join(fx.root, 'link'));
    const viaLink = await record(session, p.handle, { dir: join(fx.root, 'link', 'sub') });
    expect(viaLink).toMatchObject({ ok: false, error: { code: 403 } });
    // still not recording: a stop has nothing to close
    const info = await fx.link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: false });
    expect(info.files).toEqual([]);
    expect(recordingEvents(fx.link, session, p.handle)).toEqual([]);
  });

  it('a subscriber, an unknown peer and a closed directory path get clear errors', async () => {
    const session = 7600;
    const pub = fx.track(new PubClient(nextId++));
    const p = await publish(fx.link, session, pub);
    const sub = fx.track(new SubClient());
    const s = await subscribe(fx.link, session, sub, [
      { feedId: 1, feedKey: p.key, feedMid: pub.video!.mid!, type: 'video' },
    ]);
    const r = await record(session, s.handle);
    expect(r).toMatchObject({ ok: false, error: { code: 466, reason: 'peer.record is for publishers' } });
    expect(await record(session, 999_999)).toMatchObject({ ok: false, error: { code: 459 } });
    // a file where the directory should be: nothing opened, the reason said
    const clash = join(fx.root, 'clash');
    await fx.link.call({
      op: 'peer.record',
      sessionId: session,
      handleId: p.handle,
      record: true,
      dir: fx.root,
      base: 'clash',
    });
    await fx.link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: false });
    const bad = await record(session, p.handle, { dir: join(clash + '-audio-0.mjr', 'x') });
    expect(bad).toMatchObject({ ok: false, error: { code: 490 } });
    if (!bad.ok) expect(bad.error.reason).toMatch(/Cannot create recording directory/);
  });
});

describe('peer.record: files follow the peer', () => {
  it('records data channel messages, and renegotiation opens files for added m-lines and closes removed ones', async () => {
    const session = 7700;
    const pub = fx.track(new PubClient(nextId++, { data: true }));
    const p = await publish(fx.link, session, pub);
    const dir = join(fx.root, 'reneg');
    const started = await fx.link.call({
      op: 'peer.record',
      sessionId: session,
      handleId: p.handle,
      record: true,
      dir,
      base: 'r',
    });
    expect(started.files.map((f) => f.path.slice(dir.length + 1))).toEqual([
      'r-audio-0.mjr',
      'r-video-1.mjr',
      'r-data-2.mjr',
    ]);
    if (pub.channel!.readyState !== 'open') await pub.channel!.stateChanged.watch((st) => st === 'open', 5000);
    pub.channel!.send('hello recording');
    pub.start(50);
    await sleep(500);
    // add a second video m-line
    pub.pc.addTransceiver('video', { direction: 'sendonly' });
    const offer = await pub.offer();
    const reneg = await fx.link.call({ op: 'peer.offer', sessionId: session, handleId: p.handle, sdp: offer });
    await pub.accept((reneg as { answer: { sdp: string } }).answer.sdp);
    const listed = await fx.link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: true });
    expect(listed.files.map((f) => f.path.slice(dir.length + 1))).toContain('r-video-3.mjr');
    // remove it again (port 0): its file closes and is reported
    const removed = offer.replace(/m=video 9 ([^\r]*)\r\n((?:(?!m=)[^\r]*\r\n)*?)a=mid:3\r\n/, (m) =>
      m.replace('m=video 9', 'm=video 0'),
    );
    expect(removed).not.toBe(offer);
    await fx.link.call({ op: 'peer.offer', sessionId: session, handleId: p.handle, sdp: removed });
    const closed = await fx.link.until(() =>
      recordingEvents(fx.link, session, p.handle).find((e) => e.file.path.endsWith('r-video-3.mjr')),
    );
    expect(closed.error).toBeUndefined();
    pub.stop();
    await fx.link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: false });
    const data = parseMjr(join(dir, 'r-data-2.mjr'));
    expect(data.header).toMatchObject({ t: 'd', c: 'text' });
    expect(data.frames.map((f) => f.bytes.toString())).toEqual(['hello recording']);
    const video = parseMjr(join(dir, 'r-video-1.mjr'));
    expect(video.header).toMatchObject({ t: 'v', c: 'vp8' });
    const rtp = video.frames.map((f) => rtpOf(f.bytes));
    expect(rtp.length).toBeGreaterThan(10);
    expect(rtp[0]).toMatchObject({ seq: 1, ts: 0 });
    expect(recordingEvents(fx.link, session, p.handle)).toHaveLength(4);
  });

  it('symmetry: 60 start/stop/hang-up cycles leave no .mjr file open and no recording counted', async () => {
    const session = 7800;
    const dir = join(fx.root, 'sym');
    let pub = fx.track(new PubClient(nextId++));
    let p = await publish(fx.link, session, pub);
    let expectedEvents = 0;
    let events = 0;
    for (let i = 0; i < 60; i++) {
      const r = await fx.link.call({
        op: 'peer.record',
        sessionId: session,
        handleId: p.handle,
        record: true,
        dir,
        base: `c${i}`,
      });
      expect(r.files).toHaveLength(2);
      expectedEvents += 2;
      pub.sendAudio();
      pub.sendVideo();
      if (i % 6 === 5) {
        // the peer goes while recording: its files close with it
        await fx.link.call({ op: 'peer.hangup', sessionId: session, handleId: p.handle, reason: 'Janus API' });
        const handle = p.handle;
        const mine = () => recordingEvents(fx.link, session, handle).filter((e) => e.file.path.includes(`/c${i}-`));
        await fx.link.until(() => mine().length === 2 || undefined);
        events += 2;
        await pub.close();
        pub = fx.track(new PubClient(nextId++));
        p = await publish(fx.link, session, pub);
      } else {
        await fx.link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: false });
      }
    }
    await fx.link.call({ op: 'peer.hangup', sessionId: session, handleId: p.handle, reason: 'Janus API' });
    await sleep(200);
    const all = fx.link.events.filter((e) => e.sessionId === session && e.event.kind === 'recording');
    expect(all).toHaveLength(expectedEvents);
    expect(events).toBeGreaterThan(0);
    expect(openMjrFds()).toEqual([]);
    expect(fx.relay.snapshot().recordings?.open).toBe(0);
    expect(fx.link.invalid).toEqual([]); // every recording event matched the shared schema
  });

  it('a relay shutting down closes and reports every recording', async () => {
    const relay = await startRelay(fx.edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ID: 'second',
      RELAY_ICE_PORT_MIN: '44300',
      RELAY_ICE_PORT_MAX: '44399',
      RELAY_RECORDINGS_DIR: join(fx.root, 'default'),
    });
    const link = await fx.edge.nextLink(true);
    await relay.control.whenReady();
    const session = 7900;
    const pub = fx.track(new PubClient(nextId++));
    const p = await publish(link, session, pub);
    // no dir: the relay's RELAY_RECORDINGS_DIR, a Janus-like name
    const r = await link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: true });
    expect(r.files[0]!.path).toMatch(
      new RegExp(`^${join(fx.root, 'default')}/videoroom-${session}-${p.handle}-\\d+-audio-0\\.mjr$`),
    );
    pub.start(30);
    await sleep(300);
    expect(relay.snapshot().recordings?.open).toBeGreaterThanOrEqual(2);
    const metrics = renderPrometheus(relay.snapshot(), 'second');
    expect(metrics).toMatch(/^relay_recordings_open\{relay="second"\} [2-9]$/m);
    expect(metrics).toMatch(/^relay_recording_bytes_written_total\{relay="second"\} \d+$/m);
    expect(metrics).toMatch(/^relay_recording_packets_dropped_total\{relay="second"\} 0$/m);
    await relay.stop();
    pub.stop();
    const events = recordingEvents(link, session, p.handle);
    expect(events.map((e) => e.file.path).sort()).toEqual(r.files.map((f) => f.path).sort());
    const hangup = link.eventsFor(session, p.handle).findIndex((e) => e.kind === 'hangup');
    expect(hangup).toBeGreaterThanOrEqual(0);
    expect(openMjrFds()).toEqual([]);
  });
});

describe('peer.record: simulcast', () => {
  it('records the best layer only, falls back when it stops, one SSRC and a continuous sequence', async () => {
    const session = 8100;
    const pub = fx.track(new PubClient(nextId++, { audio: false, rids: ['h', 'm', 'l'] }));
    const p = await publish(fx.link, session, pub);
    const dir = join(fx.root, 'simulcast');
    const r = await fx.link.call({
      op: 'peer.record',
      sessionId: session,
      handleId: p.handle,
      record: true,
      dir,
      base: 's',
    });
    pub.start(60);
    await sleep(1500);
    pub.silenced.add(0); // the browser drops its best layer ('h')
    await sleep(1500);
    pub.stop();
    await fx.link.call({ op: 'peer.record', sessionId: session, handleId: p.handle, record: false });
    const f = parseMjr(r.files[0]!.path);
    const rtp = f.frames.map((x) => rtpOf(x.bytes));
    // tag: [0x10, P, 0x7e, publisher id, rid index]
    const rids = rtp.map((x) => ['h', 'm', 'l'][x.payload[4]!]);
    const firstM = rids.indexOf('m');
    expect(rids[0]).toBe('h');
    expect(firstM).toBeGreaterThan(10);
    expect(rids.slice(0, firstM).every((x) => x === 'h')).toBe(true);
    expect(rids.slice(firstM).every((x) => x === 'm')).toBe(true);
    expect(rtp[firstM]!.payload[1]).toBe(0); // the switch is at a keyframe
    expect(new Set(rtp.map((x) => x.ssrc)).size).toBe(1);
    expect(rtp.map((x) => x.seq)).toEqual(Array.from({ length: rtp.length }, (_, i) => i + 1));
    for (let i = 1; i < rtp.length; i++) expect(rtp[i]!.ts).toBeGreaterThan(rtp[i - 1]!.ts);
  });
});
