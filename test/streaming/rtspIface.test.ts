import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { until } from './support/census.js';
import { RtspTestServer, rtspServerMissing } from './support/rtspServer.js';
import { useStreamingStack } from './support/streamingStack.js';
import { watch } from './support/viewer.js';

const missing = rtspServerMissing();
if (missing) console.warn(`skipping the rtspiface tests: ${missing}`);

const addresses = Object.values(networkInterfaces()).flatMap((a) => a ?? []);
/** An IPv4 address of this host that is not loopback: connecting from it to 127.0.0.1 shows the binding. */
const otherIpv4 = addresses.find((a) => a.family === 'IPv4' && !a.internal)?.address;
const hasIpv6Loopback = addresses.some((a) => a.address === '::1');
if (!otherIpv4) console.warn('rtspiface: no non-loopback IPv4 address here, its case is skipped');
if (!hasIpv6Loopback) console.warn('rtspiface: no ::1 here, the IPv6 case is skipped');

/**
 * `rtspiface` on RTSP mountpoints against GStreamer's gst-rtsp-server: the relay connects to the
 * server from that interface's address (the server names the client it saw) and receives the RTP
 * there (the server sends to the address it saw, so media at the viewer shows the UDP sockets are
 * bound to it too); an interface the relay does not have answers Janus's 456 and opens nothing.
 */
describe.skipIf(missing !== undefined)('Streaming: rtsp mountpoints bound to rtspiface', () => {
  const ctx = useStreamingStack();
  const baseline = { sockets: 0, mountpoints: 0 };
  let nextId = 4_000_000 + Math.floor(Math.random() * 1e6);

  const createBound = (server: RtspTestServer, id: number, iface: unknown) =>
    ctx.admin.sync({
      request: 'create',
      type: 'rtsp',
      id,
      url: server.url,
      audio: true,
      video: true,
      rtspiface: iface,
    });

  /** Creates a mountpoint bound to `iface`, checks the server saw `expected` and a viewer gets media, destroys it. */
  async function playsFrom(server: RtspTestServer, iface: string, expected: string): Promise<void> {
    const id = nextId++;
    const created = await createBound(server, id, iface);
    expect(created, JSON.stringify(created)).toMatchObject({ streaming: 'created' });
    expect(server.seen.filter((l) => l.startsWith('client ')).at(-1)).toBe(`client ${expected}`);
    expect(await ctx.census()).toEqual({ sockets: 4, mountpoints: 1 });
    const { h, client } = await watch(ctx.stack, id);
    await waitFor(() => client.received.video > 30 && client.received.audio > 30, 15_000, `media via ${iface}`);
    await client.close();
    await h.close();
    expect(await ctx.admin.sync({ request: 'destroy', id })).toEqual({ streaming: 'destroyed', destroyed: id });
    await until(async () => (await ctx.census()).sockets === 0, 5000, 'sockets closed');
    expect(await ctx.census()).toEqual(baseline);
  }

  /** Runs `fn` against a gst-rtsp-server listening on `address`, stopped afterwards. */
  async function withServer(fn: (server: RtspTestServer) => Promise<void>, address?: string): Promise<void> {
    const server = await RtspTestServer.start(undefined, undefined, false, address);
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  }

  it(
    'an address or an interface name of the relay: the RTSP connection and the media use it',
    { timeout: 120_000 },
    () =>
      withServer(async (server) => {
        await playsFrom(server, '127.0.0.1', '127.0.0.1');
        await playsFrom(server, 'lo', '127.0.0.1');
        // the relay's own sockets are on 127.0.0.1: only a binding to this address can receive what the server sends it
        if (otherIpv4) await playsFrom(server, otherIpv4, otherIpv4);
      }),
  );

  it.skipIf(!hasIpv6Loopback)(
    'an IPv6 address: the server at ::1 sends to the relay’s IPv6 sockets',
    { timeout: 60_000 },
    () => withServer((server) => playsFrom(server, '::1', '::1'), '::1'),
  );

  it('an interface or address the relay does not have: 456 as Janus, nothing opened', { timeout: 60_000 }, () =>
    withServer(async (server) => {
      for (const iface of ['nosuch0', '10.255.255.254', '2001:db8::77', 'fe80::1', '']) {
        const refused = await createBound(server, nextId++, iface);
        expect(refused, iface).toEqual({
          streaming: 'event',
          error_code: 456,
          error: 'Invalid network interface configuration for stream',
        });
      }
      expect((await createBound(server, nextId++, 7)).error_code).toBe(454);
      // the relay never connected: the server saw no client
      expect(server.seen.filter((l) => l.startsWith('client '))).toEqual([]);
      expect(await ctx.census()).toEqual(baseline);
      expect((await ctx.admin.sync({ request: 'list' })).list).toEqual([]);
    }),
  );
});
