import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { resources, until } from './support/census.js';
import { RtspTestServer, rtspServerMissing } from './support/rtspServer.js';
import { StreamingHandle, watch } from './support/viewer.js';

const missing = rtspServerMissing();
if (missing) console.warn(`skipping the RTSP mountpoint tests: ${missing}`);

/**
 * RTSP mountpoints against a real RTSP server (GStreamer's gst-rtsp-server serving VP8 + Opus): the
 * relay DESCRIBEs, SETUPs both tracks over UDP and PLAYs; werift viewers receive the media; the
 * server going away and coming back is reconnected; destroy sends TEARDOWN and frees every socket.
 */
describe.skipIf(missing !== undefined)('Streaming: rtsp mountpoints from a real RTSP server', () => {
  let stack: Stack;
  let region: string;
  const census = async () => {
    const r = await resources(stack, region);
    return { sockets: r.streaming.sockets, portsInUse: r.remotePortsInUse, mountpoints: r.streaming.mountpoints };
  };
  const baseline = { sockets: 0, portsInUse: 0, mountpoints: 0 };
  beforeAll(async () => {
    stack = await startStack();
    region = stack.relays[0]!.region;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    'a viewer receives the RTSP server’s video and audio; the server restarting is reconnected; destroy tears down',
    { timeout: 120_000 },
    async () => {
      const server = await RtspTestServer.start();
      const admin = await StreamingHandle.connect(stack);
      const id = 2_000_000 + Math.floor(Math.random() * 1e6);
      try {
        const created = await admin.sync({
          request: 'create',
          type: 'rtsp',
          id,
          description: 'camera',
          url: server.url,
          audio: true,
          video: true,
          rtsp_reconnect_delay: 1,
        });
        expect(created).toEqual({
          streaming: 'created',
          created: String(id),
          permanent: false,
          stream: { id, type: 'live', description: 'camera', is_private: false },
        });
        expect(await census()).toEqual({ sockets: 4, portsInUse: 4, mountpoints: 1 });
        const info = (await admin.sync({ request: 'info', id })).info;
        expect(info).toMatchObject({ rtsp: true, url: server.url });
        expect(info.media).toMatchObject([
          { mid: 'a', type: 'audio', label: 'RTSP audio', codec: 'opus', pt: 111, rtpmap: 'opus/48000/2' },
          { mid: 'v', type: 'video', label: 'RTSP video', codec: 'vp8', pt: 96, rtpmap: 'VP8/90000' },
        ]);
        const { h, client } = await watch(stack, id);
        await waitFor(() => client.received.video > 30 && client.received.audio > 30, 15_000, 'media at the viewer');

        // the server dies and comes back on the same port: the relay reconnects, the viewer gets media again
        await server.stop();
        await new Promise((r) => setTimeout(r, 1500));
        const during = { ...client.received };
        await server.restart();
        await waitFor(
          () => client.received.video > during.video + 30 && client.received.audio > during.audio + 30,
          45_000,
          'media after the server came back',
        );
        // one PLAY before the restart, one after: the relay came back by itself
        expect(server.seen.filter((l) => l === 'play')).toHaveLength(2);

        await client.close();
        await h.close();
        expect(await admin.sync({ request: 'destroy', id })).toEqual({ streaming: 'destroyed', destroyed: id });
        await until(async () => server.seen.includes('teardown'), 5000, 'TEARDOWN at the server');
        expect(await census()).toEqual(baseline);
      } finally {
        // a failed case leaves no mountpoint for the next ones to count
        await admin.sync({ request: 'destroy', id }).catch(() => undefined);
        await admin.close();
        await server.stop();
      }
    },
  );

  it(
    'Digest and Basic auth with rtsp_user/rtsp_pwd; a wrong password or no server answers 456 and opens nothing',
    { timeout: 90_000 },
    async () => {
      const digest = await RtspTestServer.start({ mode: 'digest', user: 'alice', password: 's3cret' });
      const basic = await RtspTestServer.start({ mode: 'basic', user: 'bob', password: 'pw' });
      const admin = await StreamingHandle.connect(stack);
      try {
        const create = (id: number, extra: Record<string, unknown>) =>
          admin.sync({ request: 'create', type: 'rtsp', id, video: true, ...extra });
        const refused = await create(1, { url: digest.url, rtsp_user: 'alice', rtsp_pwd: 'wrong' });
        expect(refused).toMatchObject({ streaming: 'event', error_code: 456 });
        expect(refused.error).toMatch(/401/);
        expect((await create(2, { url: digest.url })).error_code).toBe(456);
        const nobody = await RtspTestServer.start();
        await nobody.stop();
        expect((await create(3, { url: nobody.url })).error).toMatch(/Error creating 'RTSP' stream.*ECONNREFUSED/);
        expect(await census()).toEqual(baseline);
        expect((await admin.sync({ request: 'list' })).list).toEqual([]);

        expect((await create(4, { url: digest.url, rtsp_user: 'alice', rtsp_pwd: 's3cret' })).streaming).toBe(
          'created',
        );
        // credentials in the URL serve too
        expect((await create(5, { url: basic.url.replace('rtsp://', 'rtsp://bob:pw@') })).streaming).toBe('created');
        for (const id of [4, 5]) {
          const { h, client } = await watch(stack, id);
          await waitFor(() => client.received.video > 30, 15_000, `video of mountpoint ${id}`);
          await client.close();
          await h.close();
        }
        expect(await census()).toEqual({ sockets: 4, portsInUse: 4, mountpoints: 2 });
        for (const id of [4, 5]) await admin.sync({ request: 'destroy', id });
        await until(async () => digest.seen.includes('teardown') && basic.seen.includes('teardown'), 5000, 'TEARDOWNs');
        expect(await census()).toEqual(baseline);
      } finally {
        await admin.close();
        await digest.stop();
        await basic.stop();
      }
    },
  );
  it(
    'keepalives hold a session the server would expire: no reconnect is needed, media keeps flowing',
    { timeout: 60_000 },
    async () => {
      const server = await RtspTestServer.start(undefined, 3);
      const admin = await StreamingHandle.connect(stack);
      try {
        const id = 3_000_000 + Math.floor(Math.random() * 1e6);
        const created = await admin.sync({ request: 'create', type: 'rtsp', id, url: server.url, video: true });
        expect(created.streaming).toBe('created');
        const { h, client } = await watch(stack, id);
        // three session timeouts: without keepalives the server drops the session after the first
        await new Promise((r) => setTimeout(r, 9000));
        const before = client.received.video;
        await waitFor(() => client.received.video > before + 30, 10_000, 'video still flowing');
        expect(server.seen.filter((l) => l === 'play')).toHaveLength(1);
        // gst-rtsp-server announces 3 s: a keepalive every 1.5 s (GET_PARAMETER, which it lists)
        expect(server.seen.filter((l) => l === 'keepalive').length).toBeGreaterThanOrEqual(4);
        await client.close();
        await h.close();
        await admin.sync({ request: 'destroy', id });
        expect(await census()).toEqual(baseline);
      } finally {
        await admin.close();
        await server.stop();
      }
    },
  );

  it(
    'a server that accepts but never answers is given up within the edge’s command timeout: 456, nothing left',
    { timeout: 60_000 },
    async () => {
      const sockets: Socket[] = [];
      let closed = 0;
      const silent = createServer((s) => {
        sockets.push(s);
        s.resume();
        s.on('close', () => closed++);
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      const admin = await StreamingHandle.connect(stack);
      try {
        const url = `rtsp://127.0.0.1:${(silent.address() as AddressInfo).port}/test`;
        const started = Date.now();
        const refused = await admin.sync({
          request: 'create',
          type: 'rtsp',
          id: 9,
          url,
          video: true,
          rtsp_timeout: 30,
        });
        expect(refused).toMatchObject({ error_code: 456 });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(sockets.length).toBeGreaterThan(0);
        await until(async () => closed === sockets.length, 5000, 'the relay closing its connection');
        expect(await census()).toEqual(baseline);
      } finally {
        await admin.close();
        for (const s of sockets) s.destroy();
        silent.close();
      }
    },
  );
});
