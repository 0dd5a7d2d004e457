import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import type { RecordingFile } from '../../../shared/control/recording.js';
import { ConfigError, loadConfig } from '../../../relay/config.js';
import { renderPrometheus } from '../../../relay/metrics.js';
import type { Relay } from '../../../relay/relay.js';
import { waitFor } from '../support/client.js';
import type { RelayLink } from '../support/edge.js';
import { startRelay } from '../support/relay.js';
import { relayFixture, SECRET } from '../support/relayFixture.js';
import { PubClient, publish, sleep, SubClient, subscribe } from '../sfu/support.js';
import { recordingEvents } from './fixture.js';
import { groupRunning, hookCopy, hookEnv, hookRuns, writeHookScript } from './hookSupport.js';

const scratch = mkdtempSync(join(tmpdir(), 'rec-hook-'));
const root = join(scratch, 'rec');
const { script, upload } = writeHookScript(scratch);
/** One hook at a time, three waiting, 1 s each: small enough to see the queue overflow and the timeout. */
const hookEnvVars = {
  RELAY_RECORDING_HOOK: script,
  RELAY_RECORDING_HOOK_TIMEOUT_SEC: '1',
  RELAY_RECORDING_HOOK_CONCURRENCY: '1',
  RELAY_RECORDING_HOOK_QUEUE: '3',
};
const fx = relayFixture([47000, 47099], {
  env: {
    RELAY_RECORDINGS_ROOT: root,
    RELAY_REMOTE_PORT_MIN: '37000',
    RELAY_REMOTE_PORT_MAX: '37099',
    ...hookEnvVars,
  },
  afterStop: () => rmSync(scratch, { recursive: true, force: true }),
});
let nextId = 1;
const REPORT = { plugin: 'janus.plugin.videoroom', ids: { room: 1234, id: 77 } };

const record = (link: RelayLink, session: number, handle: number, on: boolean, extra: Record<string, unknown> = {}) =>
  link.call({ op: 'peer.record', sessionId: session, handleId: handle, record: on, ...extra } as CommandInput);

const totals = (relay: Relay = fx.relay) => relay.recordingHook!.totals;
const idle = (relay: Relay = fx.relay) =>
  waitFor(() => totals(relay).running === 0 && totals(relay).queued === 0, 15_000, 'the hooks to finish');

/** Publishes, records `ms` of audio+video into `dir/<base>-*.mjr` (report REPORT) and stops: the two files and their events. */
async function recordSome(link: RelayLink, session: number, dir: string, base: string, ms = 600) {
  const pub = fx.track(new PubClient(nextId++));
  const p = await publish(link, session, pub);
  const started = (await record(link, session, p.handle, true, { dir, base, report: REPORT })) as {
    files: RecordingFile[];
  };
  pub.start(30);
  await sleep(ms);
  pub.stop();
  await record(link, session, p.handle, false);
  const events = recordingEvents(link, session, p.handle);
  expect(events).toHaveLength(2);
  return { files: started.files, events, pub, handle: p.handle };
}

describe('RELAY_RECORDING_HOOK', () => {
  it('runs once per closed file, after it is complete, with the path as argument and the facts in its environment', async () => {
    const { files, events } = await recordSome(fx.link, 8100, join(root, 'ok'), 'ok');
    await waitFor(() => files.every((f) => hookEnv(upload, f.path)), 10_000, 'the uploads');
    await idle();
    for (const f of files) {
      const onDisk = readFileSync(f.path);
      // the copy the hook made is the whole file: it ran after the last write and the sync
      expect(hookCopy(upload, f.path).equals(onDisk)).toBe(true);
      const event = events.find((e) => e.file.path === f.path)!;
      expect(event.bytes).toBe(onDisk.length);
      const env = hookEnv(upload, f.path)!;
      expect(env).toMatchObject({
        RECORDING_PATH: f.path,
        RECORDING_SIZE: String(onDisk.length),
        RECORDING_DURATION_MS: String(event.durationMs),
        RECORDING_DAMAGED: '0',
        RECORDING_KIND: f.kind,
        RECORDING_PLUGIN: 'janus.plugin.videoroom',
        RECORDING_ROOM: '1234',
        RECORDING_ID: '77',
        RELAY_ID: 'test-relay',
      });
      expect(env.RELAY_SECRET).toBeUndefined();
      expect(Number(env.RECORDING_DURATION_MS)).toBeGreaterThan(200);
      const header = spawnSync('janus-pp-rec', ['--header', join(upload, `${f.path.split('/').pop()}.copy`)], {
        encoding: 'utf8',
      });
      expect(header.status).toBe(0);
      expect(header.stdout + header.stderr).toMatch(f.kind === 'video' ? /vp8/i : /opus/i);
    }
    // once each
    expect(hookRuns(upload).filter((p) => p.startsWith(join(root, 'ok')))).toHaveLength(2);
    expect(totals()).toMatchObject({ ok: 2, failed: 0, timeout: 0, dropped: 0 });
    expect(renderPrometheus(fx.relay.snapshot(), 'test-relay')).toMatch(
      /^relay_recording_hook_runs_total\{relay="test-relay",result="ok"\} 2$/m,
    );
  });

  it('a failing hook is logged and counted, and changes nothing else', async () => {
    const before = totals();
    const { files, events } = await recordSome(fx.link, 8200, join(root, 'failing'), 'fail');
    await waitFor(() => totals().failed === before.failed + 2, 10_000, 'two failed runs');
    await idle();
    expect(totals()).toMatchObject({ ok: before.ok, timeout: before.timeout, dropped: before.dropped });
    for (const f of files) {
      expect(hookRuns(upload)).toContain(f.path);
      expect(existsSync(join(upload, `${f.path.split('/').pop()}.copy`))).toBe(false);
      // the file is where it was, whole, and its event said nothing of the hook
      expect(readFileSync(f.path).length).toBe(events.find((e) => e.file.path === f.path)!.bytes);
    }
    expect(events.every((e) => e.error === undefined && !e.damaged)).toBe(true);
  });

  it('a hanging hook is killed at the timeout, with what it started, and counted', async () => {
    const before = totals();
    const t0 = Date.now();
    const { files } = await recordSome(fx.link, 8300, join(root, 'hanging'), 'hang', 300);
    const pidOf = (path: string) => Number(readFileSync(join(upload, `${path.split('/').pop()}.pid`), 'utf8'));
    await waitFor(() => existsSync(join(upload, `${files[0]!.path.split('/').pop()}.pid`)), 5000, 'the first run');
    const first = pidOf(files[0]!.path);
    expect(groupRunning(first)).toBe(true); // its process group: the shell and its sleep
    await waitFor(() => totals().timeout === before.timeout + 2, 10_000, 'two timeouts');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000); // one at a time, a second each
    // the whole group is gone, the sleep the shell started too
    await waitFor(() => files.every((f) => !groupRunning(pidOf(f.path))), 2000, 'the killed groups to be gone');
    expect(totals()).toMatchObject({ ok: before.ok, failed: before.failed, dropped: before.dropped, running: 0 });
    expect(renderPrometheus(fx.relay.snapshot(), 'test-relay')).toMatch(
      /^relay_recording_hook_runs_total\{relay="test-relay",result="timeout"\} [1-9]\d*$/m,
    );
  });

  it('a flood beyond the queue is dropped and counted while recording and forwarding go on', async () => {
    const session = 8400;
    const before = totals();
    const pub = fx.track(new PubClient(nextId++));
    const p = await publish(fx.link, session, pub);
    const sub = fx.track(new SubClient());
    await subscribe(fx.link, session, sub, [{ feedId: 1, feedKey: p.key, feedMid: pub.video!.mid!, type: 'video' }]);
    pub.start(30);
    const dir = join(root, 'flood');
    const cycles = 5;
    const received: number[] = [];
    for (let i = 0; i < cycles; i++) {
      await record(fx.link, session, p.handle, true, { dir, base: `hang-flood-${i}` });
      await sleep(100);
      await record(fx.link, session, p.handle, false);
      received.push(sub.rec('0').packets + sub.rec('1').packets);
    }
    // 10 files closed within a second: one hook runs, three wait, the rest are dropped
    await waitFor(() => totals().dropped - before.dropped >= 6, 5000, 'dropped hooks');
    const packetsThen = received.at(-1)!;
    await sleep(300);
    expect(sub.rec('0').packets + sub.rec('1').packets).toBeGreaterThan(packetsThen); // forwarding goes on
    pub.stop();
    const events = recordingEvents(fx.link, session, p.handle);
    expect(events).toHaveLength(2 * cycles);
    expect(events.every((e) => e.error === undefined && e.packets > 0)).toBe(true);
    await idle();
    const after = totals();
    expect(after.dropped - before.dropped + after.timeout - before.timeout).toBe(2 * cycles);
    expect(renderPrometheus(fx.relay.snapshot(), 'test-relay')).toMatch(
      /^relay_recording_hook_runs_total\{relay="test-relay",result="dropped"\} [6-9]$/m,
    );
  });

  it("the AudioBridge's .wav is hooked once its header is final", async () => {
    const key = { sessionId: 9100, handleId: 9101 };
    const roomOp = (op: string, extra: Record<string, unknown>) =>
      ({ op, ...key, mixer: 'ab:hook', mixerSettings: { room: 41, samplingRate: 16000 }, ...extra }) as CommandInput;
    await fx.link.call(roomOp('ab.room', {}));
    const started = (await fx.link.call(roomOp('ab.record', { record: true, dir: join(root, 'ab') }))) as {
      path: string;
    };
    await fx.link.call(roomOp('ab.record', { record: false }));
    await fx.link.call(roomOp('ab.room', { close: true }));
    await waitFor(() => hookEnv(upload, started.path), 10_000, 'the .wav upload');
    const wav = readFileSync(started.path);
    expect(hookCopy(upload, started.path).equals(wav)).toBe(true);
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(hookEnv(upload, started.path)).toMatchObject({
      RECORDING_PATH: started.path,
      RECORDING_SIZE: String(wav.length),
      RECORDING_PLUGIN: 'janus.plugin.audiobridge',
      RECORDING_ROOM: '41',
      RECORDING_DAMAGED: '0',
    });
    await idle();
  });
});

describe('RELAY_RECORDING_HOOK: Record&Play', () => {
  it('its .mjr files as they close, then the .nfo that names them once it is written', async () => {
    const folder = join(root, 'recordplay');
    mkdirSync(folder, { recursive: true });
    process.env.RELAY_RECORDPLAY_DIR = folder; // read by the relay at every command
    try {
      const [sessionId, handleId] = [9200, 9201];
      const pub = fx.track(new PubClient(nextId++));
      const created = (await fx.link.call({
        op: 'peer.create',
        sessionId,
        handleId,
        plugin: 'janus.plugin.recordplay',
        offer: { sdp: await pub.offer() },
        options: { record: { id: 4242, name: 'hooked' } },
      } as CommandInput)) as { answer: { sdp: string } };
      await pub.accept(created.answer.sdp);
      await pub.connected();
      pub.start(30);
      await sleep(600);
      pub.stop();
      await fx.link.call({ op: 'peer.hangup', sessionId, handleId, reason: 'Janus API' });
      const nfo = join(folder, '4242.nfo');
      const mjrs = ['audio', 'video'].map((k) => join(folder, `rec-4242-${k}.mjr`));
      await waitFor(() => hookEnv(upload, nfo), 10_000, 'the .nfo upload');
      const runs = hookRuns(upload).filter((p) => p.startsWith(folder));
      expect(runs.slice(0, 2).sort()).toEqual(mjrs); // both files closed (in either order) …
      expect(runs[2]).toBe(nfo); // … before the .nfo naming them
      expect(hookCopy(upload, nfo).toString()).toMatch(/^\[4242\]\r\nname = hooked\r\n/);
      expect(hookCopy(upload, nfo).equals(readFileSync(nfo))).toBe(true);
      for (const f of [...mjrs, nfo])
        expect(hookEnv(upload, f)).toMatchObject({
          RECORDING_PATH: f,
          RECORDING_SIZE: String(readFileSync(f).length),
          RECORDING_PLUGIN: 'janus.plugin.recordplay',
          RECORDING_ID: '4242',
        });
      await idle();
    } finally {
      delete process.env.RELAY_RECORDPLAY_DIR;
    }
  });
});

describe('RELAY_RECORDING_HOOK: other relays', () => {
  it('a relay without the setting runs no hook (not even the one of another relay in the process)', async () => {
    const relay = await startRelay(fx.edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ID: 'no-hook',
      RELAY_ICE_PORT_MIN: '47100',
      RELAY_ICE_PORT_MAX: '47149',
      RELAY_RECORDINGS_ROOT: root,
    });
    try {
      const link = await fx.edge.nextLink(true);
      await relay.control.whenReady();
      const dir = join(root, 'unhooked');
      const { files } = await recordSome(link, 8500, dir, 'plain', 300);
      await sleep(500);
      expect(hookRuns(upload).filter((p) => p.startsWith(dir))).toEqual([]);
      for (const f of files) expect(existsSync(f.path)).toBe(true);
      expect(relay.recordingHook).toBeUndefined();
      expect(renderPrometheus(relay.snapshot(), 'no-hook')).not.toMatch(/relay_recording_hook/);
    } finally {
      await relay.stop();
    }
  });

  it('RELAY_RECORDING_HOOK_SWEEP hands the hook the .mjr files an earlier run left, and only those', async () => {
    const dir = join(scratch, 'left');
    mkdirSync(join(dir, 'room'), { recursive: true });
    const old = new Date(Date.now() - 60_000);
    const left = [join(dir, 'crashed-video-1.mjr'), join(dir, 'room', 'crashed-audio-0.mjr')];
    for (const f of left) {
      writeFileSync(f, 'MJR00002');
      utimesSync(f, old, old);
    }
    writeFileSync(join(dir, 'just-written-audio-0.mjr'), 'MJR00002'); // another live relay's, perhaps
    writeFileSync(join(dir, 'announcement.wav'), 'RIFF');
    utimesSync(join(dir, 'announcement.wav'), old, old);
    const relay = await startRelay(fx.edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ID: 'sweeper',
      RELAY_ICE_PORT_MIN: '47150',
      RELAY_ICE_PORT_MAX: '47199',
      RELAY_RECORDINGS_ROOT: dir,
      RELAY_RECORDING_HOOK: script,
      RELAY_RECORDING_HOOK_SWEEP: 'true',
    });
    try {
      await waitFor(() => left.every((f) => hookEnv(upload, f)), 10_000, 'the swept uploads');
      expect(
        hookRuns(upload)
          .filter((p) => p.startsWith(dir))
          .sort(),
      ).toEqual([...left].sort());
      expect(hookEnv(upload, left[0]!)).toMatchObject({
        RECORDING_SWEPT: '1',
        RECORDING_SIZE: '8',
        RELAY_ID: 'sweeper',
      });
      expect(hookEnv(upload, left[0]!)!.RECORDING_DURATION_MS).toBeUndefined();
    } finally {
      await relay.stop();
    }
  });

  it('a relay shutting down waits a bounded time for running hooks, then kills them', async () => {
    const relay = await startRelay(fx.edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ID: 'stopping',
      RELAY_ICE_PORT_MIN: '47100',
      RELAY_ICE_PORT_MAX: '47149',
      RELAY_RECORDINGS_ROOT: root,
      RELAY_RECORDING_HOOK: script,
    });
    relay.recordingHook!.settings.shutdownGraceMs = 500;
    const link = await fx.edge.nextLink(true);
    await relay.control.whenReady();
    const { files } = await recordSome(link, 8600, join(root, 'stopping'), 'hang-stop', 300);
    const pids = join(upload, `${files[0]!.path.split('/').pop()}.pid`);
    await waitFor(() => existsSync(pids), 5000, 'the hook to start');
    const pid = Number(readFileSync(pids, 'utf8'));
    const t0 = Date.now();
    await relay.stop();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3000);
    // SIGKILL went to the whole group; the kernel ends its processes a moment later (the shell is reaped
    // before stop() returns, its sleep by init, on a loaded machine not always at once)
    await waitFor(() => !groupRunning(pid), 2000, 'the hook’s process group to be gone');
    // abandoned, not counted as a result of the hook
    expect(relay.recordingHook!.totals).toMatchObject({ running: 0, queued: 0, ok: 0, failed: 0, timeout: 0 });
  });

  it('the settings: an absolute executable, a positive timeout, a sweep only with a hook', () => {
    const base = { RELAY_SECRET: SECRET, EDGE_URL: 'ws://127.0.0.1:1' };
    expect(loadConfig(base).recordingHook).toBeUndefined();
    expect(loadConfig({ ...base, RELAY_RECORDING_HOOK: script }).recordingHook).toMatchObject({
      command: script,
      timeoutMs: 300_000,
      concurrency: 2,
      queueLimit: 1000,
      sweep: false,
    });
    expect(() => loadConfig({ ...base, RELAY_RECORDING_HOOK: 'hook.sh' })).toThrow(/absolute/);
    expect(() => loadConfig({ ...base, RELAY_RECORDING_HOOK: join(scratch, 'missing.sh') })).toThrow(/executable/);
    expect(() => loadConfig({ ...base, RELAY_RECORDING_HOOK: upload })).toThrow(/executable/);
    expect(() => loadConfig({ ...base, RELAY_RECORDING_HOOK: script, RELAY_RECORDING_HOOK_TIMEOUT_SEC: '0' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ ...base, RELAY_RECORDING_HOOK_SWEEP: 'true' })).toThrow(/needs RELAY_RECORDING_HOOK/);
    expect(() => loadConfig({ ...base, RELAY_RECORDING_HOOK: script, RELAY_RECORDING_HOOK_SWEEP: 'yes' })).toThrow(
      ConfigError,
    );
  });
});
