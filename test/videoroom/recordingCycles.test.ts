/**
 * Issue 13: every path that ends a recording VideoRoom publisher closes its `.mjr` files with a
 * valid header. CYCLES (default 200) cycles, PARALLEL (default 6) at a time, rotate over the paths:
 * leave, kick, unpublish, detach, session destroy, WebSocket close, session timeout (admin
 * `set_session_timeout` of 1 s on that session) and room destroy. In each, a werift publisher joins
 * its own recorded room, publishes audio+video and sends; once both files exist the path runs, and
 * the relay process (its /proc/<pid>/fd links) must let go of the cycle's files while the client's
 * PeerConnection is still up, so that only the path itself can have closed them. At the end no
 * `.mjr` is open on the relay, every file starts with MJR00002, and `janus-pp-rec --header` reads a
 * sample of each path's files.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JanusHttp, pool, waitUntil } from '../blackbox/support/janus.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish } from './support/participant.js';
import { expectValidHeader, openRecordings, waitClosed } from './support/recordedMedia.js';
import { have } from '../relay/recording/media.js';

const CYCLES = Number(process.env.CYCLES ?? 200);
const PARALLEL = Number(process.env.PARALLEL ?? 6);
const PATHS = ['leave', 'kick', 'unpublish', 'detach', 'destroy', 'wsclose', 'timeout', 'roomdestroy'] as const;
type Path = (typeof PATHS)[number];
const SECRET = 'rec';
/** Files per path read by janus-pp-rec --header (every file gets the MJR00002 check). */
const HEADER_SAMPLE = 4;

const toolPresent = have('janus-pp-rec');
if (!toolPresent) process.stderr.write('recording cycle tests skipped: janus-pp-rec is missing\n');

describe.skipIf(!toolPresent)('every end of a recording publisher closes its files', () => {
  let stack: Stack;
  let root: string;
  let relayPid: number;
  let admin: Participant;
  let api: JanusHttp;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rec-cycles-'));
    stack = await startStack({
      RECORDINGS_ROOT: root,
      RELAY_RECORDINGS_ROOT: root,
      RELAY_RECORDINGS_DIR: root,
      // every cycle comes from 127.0.0.1: the per-address offer budget is not what is tested here
      OFFERS_PER_SECOND_PER_ADDRESS: '0',
      OFFERS_PER_SECOND_PER_SESSION: '0',
    });
    relayPid = stack.relays[0]!.pid;
    admin = await Participant.connect(stack);
    api = new JanusHttp(stack.httpUrl, stack.adminUrl);
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    await stack?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const filesIn = (dir: string) => readdir(dir).catch(() => [] as string[]);

  /** Ends publisher `p` (id 1 of `room`) by `path`, as a client or an admin would. */
  async function end(path: Path, p: Participant, room: number): Promise<void> {
    const ids = { session_id: p.sessionId, handle_id: p.handleId };
    switch (path) {
      case 'leave':
        expect((await p.ask({ request: 'leave' })).plugindata.data).toMatchObject({ leaving: 'ok' });
        return;
      case 'unpublish':
        expect((await p.ask({ request: 'unpublish' })).plugindata.data).toMatchObject({ unpublished: 'ok' });
        return;
      case 'kick':
        expect(await admin.sync({ request: 'kick', room, secret: SECRET, id: 1 })).toEqual({ videoroom: 'success' });
        return;
      case 'detach':
        expect((await p.janus.request({ janus: 'detach', ...ids })).janus).toBe('success');
        return;
      case 'destroy':
        expect((await p.janus.request({ janus: 'destroy', session_id: p.sessionId })).janus).toBe('success');
        return;
      case 'wsclose':
        await p.close();
        return;
      case 'timeout': {
        const r = await api.admin({ janus: 'set_session_timeout', session_id: p.sessionId, timeout: 1 });
        expect(r.body.janus, JSON.stringify(r.body)).toBe('success');
        await p.janus.waitEvent((m) => m.janus === 'timeout', 10_000, 'session timeout');
        return;
      }
      case 'roomdestroy':
        expect(await admin.sync({ request: 'destroy', room, secret: SECRET })).toMatchObject({
          videoroom: 'destroyed',
        });
        return;
    }
  }

  async function cycle(i: number, roomBase: number): Promise<{ path: Path; files: string[] }> {
    const path = PATHS[i % PATHS.length]!;
    const room = roomBase + i;
    const dir = join(root, path, `c${i}`);
    expect(await admin.sync({ request: 'create', room, secret: SECRET, record: true, rec_dir: dir })).toMatchObject({
      videoroom: 'created',
    });
    const { p, client, audio, video } = await publish(stack, room, 1);
    try {
      client.startSending(audio, 20);
      client.startSending(video, 33);
      await waitUntil(async () => (await filesIn(dir)).length === 2, 10_000, `both files of cycle ${i}`);
      await new Promise((r) => setTimeout(r, 100));
      // the fd check sees them open first, so a closed file below is the path's doing
      expect((await openRecordings(relayPid)).filter((f) => f.startsWith(`${dir}/`))).toHaveLength(2);
      await end(path, p, room);
      // The client's PeerConnection is still up: only the path can have closed the files.
      await waitClosed(relayPid, dir, 10_000);
    } finally {
      await client.close();
      await p.close();
    }
    if (path !== 'roomdestroy') await admin.sync({ request: 'destroy', room, secret: SECRET });
    return { path, files: (await filesIn(dir)).map((f) => join(dir, f)) };
  }

  it(`${CYCLES} cycles over ${PATHS.length} paths leave no .mjr open on the relay, every file with a valid header`, async () => {
    const roomBase = 9_500_000 + Math.floor(Math.random() * 1e5) * 10;
    const started = Date.now();
    const results = await pool(
      Array.from({ length: CYCLES }, (_, i) => i),
      PARALLEL,
      (i) => cycle(i, roomBase),
    );
    expect(await openRecordings(relayPid)).toEqual([]);
    const byPath = new Map<Path, string[]>();
    for (const r of results) {
      expect(r.files, `${r.path}: ${r.files.join(', ')}`).toHaveLength(2);
      byPath.set(r.path, [...(byPath.get(r.path) ?? []), ...r.files]);
    }
    for (const [path, files] of byPath) {
      for (const [n, f] of files.entries()) await expectValidHeader(f, n < HEADER_SAMPLE);
      expect(files.length, path).toBeGreaterThan(0);
    }
    if (process.env.REC_DEBUG)
      process.stderr.write(`${CYCLES} recording cycles in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, 240_000);
});
