/**
 * Issue 15: losing the relay of a recording mountpoint, as for VideoRoom recordings
 * (test/videoroom/recordingRelayLoss.test.ts). A relay of our own (the real process, in a region of
 * its own) ingests ffmpeg's VP8 + Opus and records both streams, then is lost:
 * - SIGTERM: the relay drains; both files are closed and reported to event handlers (type-64
 *   `recordingdone` naming the mountpoint, its size the file's) before it exits 0;
 * - SIGKILL: nothing is reported, yet both files keep Janus's header and janus-pp-rec converts them.
 * Either way the edge drops the mountpoint (`info` answers 455).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../shared/janus/events.js';
import { waitUntil, type Webhook } from '../blackbox/support/janus.js';
import { spawnRelay, type RelayProcess } from '../relay/support/process.js';
import type { Stack } from '../support/stack.js';
import { convert, expectValidHeader, recordingToolsPresent } from '../videoroom/support/recordedMedia.js';
import { startRecordingStack, type RecordingStack } from '../videoroom/support/recordingStack.js';
import { avMedia, ffmpegSend, StreamingHandle } from './support/viewer.js';

const REGION = 'lossy';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!recordingToolsPresent)
  process.stderr.write('streaming recording relay-loss tests skipped: ffmpeg, ffprobe or janus-pp-rec is missing\n');

describe.skipIf(!recordingToolsPresent)('relay loss ends a recording mountpoint', () => {
  let rec: RecordingStack | undefined;
  let stack: Stack;
  let hook: Webhook;
  let root: string;
  beforeAll(async () => {
    rec = await startRecordingStack('st-rec-loss-');
    ({ stack, hook, root } = rec);
  }, 120_000);
  afterAll(async () => {
    await rec?.stop();
  });

  const closedIn = (dir: string) =>
    hook.events
      .filter((e) => e.type === EventType.PLUGIN)
      .map((e) => e.event as { plugin: string; data: Record<string, any> })
      .filter((e) => e.data.event === 'recordingdone' && String(e.data.path).startsWith(`${dir}/`));

  /** A mountpoint on a fresh relay of REGION (created again until that relay, once registered, holds it). */
  async function mountpointOnLossyRelay(admin: StreamingHandle, relay: RelayProcess, id: number) {
    for (let i = 0; ; i++) {
      const created = await admin.sync({ request: 'create', type: 'rtp', id, secret: 's', media: avMedia });
      expect(created.streaming).toBe('created');
      const r = await relay.debug<{ streaming: { mountpoints: number } }>('/debug/resources');
      if (r.body.streaming.mountpoints === 1) return created.stream.ports as Array<{ mid: string; port: number }>;
      await admin.sync({ request: 'destroy', id, secret: 's' });
      if (i > 50) throw new Error('the lossy relay never took the mountpoint');
      await sleep(200);
    }
  }

  for (const [i, signal] of (['SIGTERM', 'SIGKILL'] as const).entries())
    it(
      `${signal}: the files hold what was recorded${signal === 'SIGTERM' ? ', closed and reported' : ''}`,
      {
        timeout: 90_000,
      },
      async () => {
        const relay = await spawnRelay({
          RELAY_ID: `st-lossy-${i}`,
          RELAY_REGION: REGION,
          RELAY_SECRET: stack.relaySecret,
          EDGE_URL: stack.baseUrl,
          RELAY_ICE_PORT_MIN: '44620',
          RELAY_ICE_PORT_MAX: '44659',
          RELAY_REMOTE_PORT_MIN: '44660',
          RELAY_REMOTE_PORT_MAX: '44679',
          RELAY_RECORDINGS_ROOT: root,
        });
        const admin = await StreamingHandle.connect(stack, REGION);
        const id = 7_500_000 + i + Math.floor(Math.random() * 1e5) * 2;
        const dir = join(root, `${signal}-${id}`);
        const ports = await mountpointOnLossyRelay(admin, relay, id);
        const port = (mid: string) => ports.find((p) => p.mid === mid)!.port;
        const ffmpeg = ffmpegSend('127.0.0.1', port('a'), port('v'), 30, 15);
        try {
          await waitUntil(
            async () => (await admin.sync({ request: 'info', id, secret: 's' })).info.media[1].age_ms < 500,
            10_000,
            'media at the mountpoint',
          );
          const started = await admin.sync({
            request: 'recording',
            action: 'start',
            id,
            secret: 's',
            media: [
              { mid: 'a', filename: `${dir}/mp-audio` },
              { mid: 'v', filename: `${dir}/mp-video` },
            ],
          });
          expect(started).toEqual({ streaming: 'ok' });
          await sleep(3_000);
          relay.child.kill(signal);
          expect(await relay.exited).toEqual(signal === 'SIGKILL' ? { code: null, signal } : { code: 0, signal: null });
        } finally {
          ffmpeg.kill('SIGKILL');
        }
        await waitUntil(
          async () => (await admin.sync({ request: 'info', id, secret: 's' })).error_code === 455,
          15_000,
          'the mountpoint dropped with its relay',
        );
        expect((await readdir(dir)).sort()).toEqual(['mp-audio.mjr', 'mp-video.mjr']);
        if (signal === 'SIGTERM') {
          await waitUntil(() => closedIn(dir).length === 2, 10_000, 'recordingdone for both files');
          for (const e of closedIn(dir)) {
            expect(e.plugin).toBe('janus.plugin.streaming');
            expect(e.data).toMatchObject({ id, damaged: false, dropped: 0 });
            expect(e.data.error).toBeUndefined();
            expect(e.data.size).toBe((await stat(String(e.data.path))).size);
          }
        } else expect(closedIn(dir)).toEqual([]);
        for (const kind of ['video', 'audio']) {
          const path = join(dir, `mp-${kind}.mjr`);
          await expectValidHeader(path);
          const out = convert(path);
          expect(out.codec).toBe(kind === 'video' ? 'vp8' : 'opus');
          // 3 s recorded; a kill loses what the write loop had not written yet: about its last second,
          // more on a loaded machine where the loop and ffmpeg's pacing lag
          expect(out.duration).toBeGreaterThan(signal === 'SIGKILL' ? 1 : 2.3);
          expect(out.duration).toBeLessThan(4);
        }
        await admin.close();
      },
    );
});
