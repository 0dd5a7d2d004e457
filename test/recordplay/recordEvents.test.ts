/**
 * Record&Play's event-handler events, as janus_recordplay.c emits them (type-64 plugin events):
 * `{event: "recording", id, audio, video}` once `record` succeeded (audio/video: whether that kind is
 * being recorded; a refused `record` emits none), `{event: "playout", id, audio, video}` once `play`
 * succeeded, `{event: "playing", id}` on `start`, and `{event: "stopped", id}` on `stop` of either.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../shared/janus/events.js';
import { Webhook, waitUntil } from '../blackbox/support/janus.js';
import { PubClient } from '../relay/sfu/support.js';
import { Viewer } from './viewer.js';
import { openRecordPlay, RP } from './recordPlayHandle.js';
import { startStack, type Stack } from '../support/stack.js';

describe('Record&Play event handler events', () => {
  let stack: Stack;
  let hook: Webhook;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recordplay-events-'));
    hook = await new Webhook().start();
    stack = await startStack({
      RELAY_RECORDPLAY_DIR: dir,
      EVENTS_URL: hook.url,
      EVENTS_MASK: 'plugins',
      EVENTS_GROUPING: 'false',
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await hook?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The Record&Play plugin events handlers got for handle `handleId`. */
  const pluginEvents = (handleId: number) =>
    hook.events
      .filter((e) => e.type === EventType.PLUGIN && e.handle_id === handleId)
      .map((e) => e.event as { plugin: string; data: Record<string, unknown> });

  async function record(body: Record<string, unknown>, pub: PubClient) {
    const h = await openRecordPlay(stack);
    const ev = await h.ask({ request: 'record', ...body }, { type: 'offer', sdp: await pub.offer() });
    return { ...h, data: ev.plugindata.data as Record<string, unknown>, jsep: ev.jsep as { sdp: string } };
  }

  it('record emits {event: "recording", id, audio, video}; a refused record emits nothing', async () => {
    const both = new PubClient(1);
    const audioOnly = new PubClient(2, { video: false });
    const refusedPub = new PubClient(3);
    const a = await record({ name: 'both', id: 6160 }, both);
    const b = await record({ name: 'audio only', id: 6161 }, audioOnly);
    const refused = await record({ name: 'taken', id: 6160 }, refusedPub);
    try {
      expect(a.data).toEqual({ recordplay: 'event', result: { status: 'recording', id: 6160 } });
      expect(b.data).toEqual({ recordplay: 'event', result: { status: 'recording', id: 6161 } });
      expect(refused.data).toMatchObject({ error_code: 420 });
      await waitUntil(
        () => pluginEvents(a.handleId).length > 0 && pluginEvents(b.handleId).length > 0,
        5_000,
        'events',
      );
      expect(pluginEvents(a.handleId)).toEqual([
        { plugin: RP, data: { event: 'recording', id: 6160, audio: true, video: true } },
      ]);
      expect(pluginEvents(b.handleId)).toEqual([
        { plugin: RP, data: { event: 'recording', id: 6161, audio: true, video: false } },
      ]);
      expect(pluginEvents(refused.handleId)).toEqual([]);
    } finally {
      for (const h of [a, b, refused]) await h.janus.close();
      for (const p of [both, audioOnly, refusedPub]) await p.close();
    }
  });
  it('stop of a recorder, then play, start and stop of a viewer: recording, stopped, playout, playing, stopped', async () => {
    const pub = new PubClient(4);
    const rec = await record({ name: 'talk', id: 6170 }, pub);
    const viewer = new Viewer();
    try {
      await pub.accept(rec.jsep.sdp);
      await pub.connected();
      pub.start();
      await new Promise((r) => setTimeout(r, 500));
      pub.stop();
      await rec.ask({ request: 'stop' });
      await waitUntil(() => existsSync(join(dir, '6170.nfo')), 5_000, '.nfo written');
      const play = await rec.ask({ request: 'play', id: 6170 });
      expect(play.plugindata.data).toEqual({ recordplay: 'event', result: { status: 'preparing', id: 6170 } });
      const started = await rec.ask({ request: 'start' }, { type: 'answer', sdp: await viewer.answer(play.jsep.sdp) });
      expect(started.plugindata.data).toEqual({ recordplay: 'event', result: { status: 'playing' } });
      await rec.ask({ request: 'stop' });
      await waitUntil(() => pluginEvents(rec.handleId).length >= 5, 5_000, 'five events');
      expect(pluginEvents(rec.handleId).map((e) => e.data)).toEqual([
        { event: 'recording', id: 6170, audio: true, video: true },
        { event: 'stopped', id: 6170 },
        { event: 'playout', id: 6170, audio: true, video: true },
        { event: 'playing', id: 6170 },
        { event: 'stopped', id: 6170 },
      ]);
    } finally {
      await rec.janus.close();
      await pub.close();
      await viewer.pc.close();
    }
  });
});
