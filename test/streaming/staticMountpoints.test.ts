import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { resources } from './support/census.js';
import { RtspTestServer, rtspServerMissing } from './support/rtspServer.js';
import { avMedia, StreamingHandle, watch } from './support/viewer.js';

const missing = rtspServerMissing();
if (missing) console.warn(`skipping the static mountpoint tests: ${missing}`);

/** How often the Streaming object was built from storage so far (its `streaming restored` log line). */
const restores = (stack: Stack) =>
  readFileSync(resolve(import.meta.dirname, '..', '..', '.tmp', 'logs', `edge-${stack.port}.log`), 'utf8').split(
    'streaming restored',
  ).length - 1;

const ids = (list: unknown) => (list as Array<{ id: number }>).map((m) => m.id).sort((a, b) => a - b);

/**
 * Mountpoints from configuration (STREAMING_MOUNTPOINTS, as Janus's janus.plugin.streaming.jcfg) and
 * the plugin's admin_key (STREAMING_ADMIN_KEY) in a real stack: the configured rtp and rtsp mountpoints
 * exist when the plugin is first used, are watched like any other, and are still the same mountpoints
 * after the Streaming object was evicted; `create` needs the admin key.
 */
describe.skipIf(missing !== undefined)('Streaming: configured mountpoints and admin_key', () => {
  let stack: Stack;
  let server: RtspTestServer;
  beforeAll(async () => {
    server = await RtspTestServer.start();
    stack = await startStack({
      LOG_LEVEL: 'info',
      STREAMING_ADMIN_KEY: 'supersecret',
      STREAMING_MOUNTPOINTS: JSON.stringify([
        { type: 'rtp', id: 7001, description: 'configured rtp', media: avMedia },
        { type: 'rtsp', id: 7002, description: 'configured camera', url: server.url, audio: true, video: true },
      ]),
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await server?.stop();
  });

  it(
    'are listed after the stack starts, serve viewers, and survive the Streaming object’s eviction',
    { timeout: 150_000 },
    async () => {
      const admin = await StreamingHandle.connect(stack);
      const region = stack.relays[0]!.region;
      const census = async () => (await resources(stack, region)).streaming;
      const listed = await admin.sync({ request: 'list' });
      expect(ids(listed.list)).toEqual([7001, 7002]);
      expect(listed.list).toContainEqual(expect.objectContaining({ id: 7002, description: 'configured camera' }));
      expect(await census()).toMatchObject({ mountpoints: 2, sockets: 6 });
      const before = (await admin.sync({ request: 'info', id: 7001 })).info;

      const { h, client } = await watch(stack, 7002);
      await waitFor(() => client.received.video > 30, 15_000, 'video of the configured camera');
      await client.close();
      await h.close();
      await admin.close();

      // No request for well past workerd's ~10 s: the Streaming object is evicted, and restored by the
      // next one. A loaded machine may keep it a while longer: idle again, longer, until it was.
      const restoredBefore = restores(stack);
      let again: StreamingHandle | undefined;
      for (const idleMs of [16_000, 25_000, 35_000]) {
        await again?.close();
        await new Promise((r) => setTimeout(r, idleMs));
        again = await StreamingHandle.connect(stack);
        expect(ids((await again.sync({ request: 'list' })).list)).toEqual([7001, 7002]);
        if (restores(stack) > restoredBefore) break;
      }
      if (!again) throw new Error('unreachable');
      expect(restores(stack)).toBe(restoredBefore + 1);
      // the same mountpoints (same ports), not new ones beside them
      const ports = (info: { media: Array<{ mid: string; port: number }> }) => info.media.map((m) => [m.mid, m.port]);
      expect(ports((await again.sync({ request: 'info', id: 7001 })).info)).toEqual(ports(before));
      expect(await census()).toMatchObject({ mountpoints: 2, sockets: 6 });
      const viewer = await watch(stack, 7002);
      await waitFor(() => viewer.client.received.video > 30, 15_000, 'video after the eviction');
      await viewer.client.close();
      await viewer.h.close();
      await again.close();
    },
  );

  it(
    'create needs the admin key: 453 without, 454 not a string, 457 wrong; with it, created',
    { timeout: 60_000 },
    async () => {
      const admin = await StreamingHandle.connect(stack);
      const create = (extra: Record<string, unknown>) =>
        admin.sync({ request: 'create', type: 'rtp', id: 7100, media: avMedia, ...extra });
      expect(await create({})).toMatchObject({ error_code: 453, error: 'Missing mandatory element (admin_key)' });
      expect((await create({ admin_key: 5 })).error_code).toBe(454);
      expect(await create({ admin_key: 'wrong' })).toMatchObject({
        error_code: 457,
        error: 'Unauthorized (wrong admin_key)',
      });
      expect(
        (await admin.sync({ request: 'create', type: 'rtsp', id: 7101, url: server.url, video: true })).error_code,
      ).toBe(453);
      expect(ids((await admin.sync({ request: 'list' })).list)).toEqual([7001, 7002]);
      expect((await create({ admin_key: 'supersecret' })).streaming).toBe('created');
      expect(await admin.sync({ request: 'destroy', id: 7100 })).toMatchObject({ streaming: 'destroyed' });
      // a destroyed configured mountpoint stays destroyed (as Janus until restart)
      expect(await admin.sync({ request: 'destroy', id: 7001 })).toMatchObject({ streaming: 'destroyed' });
      expect(ids((await admin.sync({ request: 'list' })).list)).toEqual([7002]);
      await admin.close();
    },
  );
});
