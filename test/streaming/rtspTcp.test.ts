import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { until } from './support/census.js';
import { InterleavedRtspServer } from './support/interleavedRtspServer.js';
import { RtspTestServer, rtspServerMissing } from './support/rtspServer.js';
import { watch } from './support/viewer.js';
import { useStreamingStack } from './support/streamingStack.js';

const missing = rtspServerMissing();
if (missing) console.warn(`skipping the RTSP-over-TCP tests: ${missing}`);

/**
 * RTP interleaved on the RTSP connection (RFC 2326 §10.12): a server that only offers TCP (as
 * cameras behind NAT) answers a UDP SETUP with 461, and the relay sets the tracks up again
 * interleaved; `rtsp_transport: "tcp"` asks for it from the start, `"udp"` refuses the fallback.
 */
describe.skipIf(missing !== undefined)('Streaming: rtsp mountpoints over interleaved TCP', () => {
  const s = useStreamingStack();

  // the server's RTSP session ends with its process: reconnect after 1 s of silence
  const create = (id: number, url: string, extra: Record<string, unknown> = {}) =>
    s.admin.sync({
      request: 'create',
      type: 'rtsp',
      id,
      url,
      audio: true,
      video: true,
      rtsp_reconnect_delay: 1,
      ...extra,
    });

  for (const transport of [undefined, 'tcp'] as const) {
    it(
      `a TCP-only server (${transport ?? 'no rtsp_transport: UDP refused, then TCP'}): a viewer receives video and audio`,
      { timeout: 60_000 },
      async () => {
        const server = await RtspTestServer.start(undefined, undefined, true);
        try {
          const id = 2_500_000 + Math.floor(Math.random() * 1e6);
          const created = await create(id, server.url, transport ? { rtsp_transport: transport } : {});
          expect(created.streaming, JSON.stringify(created)).toBe('created');
          const setups = server.seen.filter((l) => l.startsWith('setup '));
          expect(setups.at(-1)).toMatch(/RTP\/AVP\/TCP;unicast;interleaved=2-3/);
          const { h, client } = await watch(s.stack, id);
          await waitFor(() => client.received.video > 30 && client.received.audio > 30, 15_000, 'media at the viewer');
          if (transport === undefined) {
            // the server restarts: the relay reconnects, interleaved again
            await server.stop();
            const during = { ...client.received };
            await server.restart();
            await waitFor(() => client.received.video > during.video + 30, 30_000, 'media after the restart');
          }
          await client.close();
          await h.close();
          expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
          await until(async () => server.seen.includes('teardown'), 5000, 'TEARDOWN at the server');
          await until(async () => (await s.census()).mountpoints === 0, 5000, 'mountpoint gone');
          expect(await s.census()).toEqual({ sockets: 0, mountpoints: 0 });
        } finally {
          await server.stop();
        }
      },
    );
  }

  it('rtsp_transport "udp" against a TCP-only server fails and leaves nothing; a bad value is 454', async () => {
    const server = await RtspTestServer.start(undefined, undefined, true);
    try {
      const id = 2_600_000 + Math.floor(Math.random() * 1e6);
      const refused = await create(id, server.url, { rtsp_transport: 'udp' });
      expect(refused.error_code, JSON.stringify(refused)).toBe(456);
      expect(refused.error).toMatch(/461/);
      expect((await create(id, server.url, { rtsp_transport: 'sctp' })).error_code).toBe(454);
      expect((await s.admin.sync({ request: 'info', id })).error_code).toBe(455);
      expect(await s.census()).toEqual({ sockets: 0, mountpoints: 0 });
    } finally {
      await server.stop();
    }
  });

  it('keyframe requests go back on the track’s interleaved RTCP channel as a PLI', { timeout: 30_000 }, async () => {
    const server = await InterleavedRtspServer.start();
    try {
      const id = 2_650_000 + Math.floor(Math.random() * 1e6);
      const created = await s.admin.sync({ request: 'create', type: 'rtsp', id, url: server.url, video: true });
      expect(created.streaming, JSON.stringify(created)).toBe('created');
      const { h, client } = await watch(s.stack, id);
      await waitFor(() => client.received.video > 10, 10_000, 'video at the viewer');
      await waitFor(() => server.fromClient.length > 0, 10_000, 'RTCP from the relay');
      const { channel, data } = server.fromClient[0]!;
      expect(channel).toBe(1);
      expect(data[0]! & 0x1f).toBe(1); // FMT 1: PLI
      expect(data[1]).toBe(206); // PSFB
      expect(data.readUInt32BE(8)).toBe(4321); // the server's SSRC
      await client.close();
      await h.close();
      expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
    } finally {
      await server.stop();
    }
  });
});
