import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { until } from './support/census.js';
import { RtspTestServer, rtspServerMissing } from './support/rtspServer.js';
import { watch } from './support/viewer.js';
import { useStreamingStack } from './support/streamingStack.js';

const missing = rtspServerMissing();
if (missing) console.warn(`skipping the rtsp_failcheck tests: ${missing}`);

/**
 * `rtsp_failcheck: false` (Janus): the mountpoint is created although the RTSP server is down, from the
 * creator's `audiopt`/`audiortpmap` and `videopt`/`videortpmap`, and the relay keeps trying: once the
 * server comes up, a viewer that was already watching receives its media.
 */
describe.skipIf(missing !== undefined)('Streaming: rtsp mountpoints with rtsp_failcheck false', () => {
  const s = useStreamingStack();

  it(
    'a server that is down: created anyway, media once it comes up; destroy frees everything',
    { timeout: 90_000 },
    async () => {
      const server = await RtspTestServer.start();
      await server.stop();
      try {
        const id = 2_700_000 + Math.floor(Math.random() * 1e6);
        const described = { audiopt: 111, audiortpmap: 'opus/48000/2', videopt: 96, videortpmap: 'VP8/90000' };
        const base = { request: 'create', type: 'rtsp', id, url: server.url, audio: true, video: true };
        // the default (true) refuses a server that cannot be reached, and leaves nothing
        expect((await s.admin.sync({ ...base, ...described })).error_code).toBe(456);
        expect(await s.census()).toEqual({ sockets: 0, mountpoints: 0 });
        const created = await s.admin.sync({ ...base, ...described, rtsp_failcheck: false, rtsp_reconnect_delay: 1 });
        expect(created.streaming, JSON.stringify(created)).toBe('created');
        const info = (await s.admin.sync({ request: 'info', id })).info;
        expect(info.media).toMatchObject([
          { mid: 'a', type: 'audio', codec: 'opus', pt: 111 },
          { mid: 'v', type: 'video', codec: 'vp8', pt: 96 },
        ]);
        const { h, client } = await watch(s.stack, id);
        await new Promise((r) => setTimeout(r, 1500));
        expect(client.received.video).toBe(0);
        await server.restart();
        await waitFor(
          () => client.received.video > 30 && client.received.audio > 30,
          30_000,
          'media once the server is up',
        );
        await client.close();
        await h.close();
        expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
        await until(async () => (await s.census()).mountpoints === 0, 5000, 'mountpoint gone');
        expect(await s.census()).toEqual({ sockets: 0, mountpoints: 0 });
      } finally {
        await server.stop();
      }
    },
  );

  it(
    'destroyed while the server is still down: nothing is left, and no retry follows',
    { timeout: 30_000 },
    async () => {
      const server = await RtspTestServer.start();
      await server.stop();
      const id = 2_800_000 + Math.floor(Math.random() * 1e6);
      const created = await s.admin.sync({
        request: 'create',
        type: 'rtsp',
        id,
        url: server.url,
        video: true,
        videopt: 96,
        videortpmap: 'VP8/90000',
        rtsp_failcheck: false,
        rtsp_reconnect_delay: 1,
      });
      expect(created.streaming, JSON.stringify(created)).toBe('created');
      await new Promise((r) => setTimeout(r, 2500));
      expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
      expect(await s.census()).toEqual({ sockets: 0, mountpoints: 0 });
      // a server coming up later sees no client: the retries stopped with the mountpoint
      await server.restart();
      await new Promise((r) => setTimeout(r, 2500));
      expect(server.seen.filter((l) => l === 'play')).toHaveLength(0);
      await server.stop();
    },
  );
});
