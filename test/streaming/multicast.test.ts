import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { StreamingHandle, watch } from './support/viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOOPBACK = '127.0.0.1';

/** A group of our own (other tests may run beside us). */
const randomGroup = () =>
  `232.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

/** A socket sending to multicast groups out of the loopback interface. */
function multicastSender(): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve) =>
    s.bind(0, () => {
      s.setMulticastInterface(LOOPBACK);
      s.setMulticastLoopback(true);
      resolve(s);
    }),
  );
}

/** Whether this kernel delivers multicast over loopback (it does when the group is joined on 127.0.0.1). */
async function loopbackMulticastWorks(): Promise<boolean> {
  const group = randomGroup();
  const rx = createSocket({ type: 'udp4' });
  await new Promise<void>((r) => rx.bind(0, group, () => r()));
  const got = new Promise<boolean>((r) => {
    rx.once('message', () => r(true));
    setTimeout(() => r(false), 1000);
  });
  try {
    rx.addMembership(group, LOOPBACK);
  } catch {
    rx.close();
    return false;
  }
  const tx = await multicastSender();
  tx.send('probe', rx.address().port, group);
  const ok = await got;
  rx.close();
  tx.close();
  return ok;
}

/** An RTP packet: a VP8 keyframe start when `key`. */
function vp8(seq: number, key: boolean): Buffer {
  const p = Buffer.alloc(12 + 500, 0x55);
  p[0] = 0x80;
  p[1] = 100;
  p.writeUInt16BE(seq, 2);
  p.writeUInt32BE(seq * 3000, 4);
  p.writeUInt32BE(1357, 8);
  p[12] = 0x10;
  p[13] = key ? 0 : 1;
  return p;
}

/**
 * Multicast ingest (Janus `mcast`, `iface`): the relay joins the stream's group on the interface and
 * receives what is sent to the group (and nothing sent to its own unicast address on that port).
 * Tested over loopback: skipped, saying so, on a kernel that does not route multicast there.
 */
describe('Streaming: multicast mountpoints', () => {
  let stack: Stack;
  let admin: StreamingHandle;
  let works = false;
  beforeAll(async () => {
    works = await loopbackMulticastWorks();
    stack = await startStack();
    admin = await StreamingHandle.connect(stack);
  });
  afterAll(async () => {
    await admin?.close();
    await stack?.stop();
  });

  it('a viewer receives RTP sent to the group the mountpoint joined', { timeout: 60_000 }, async (ctx) => {
    if (!works) {
      ctx.skip('this kernel does not deliver multicast over loopback: nothing to test here');
      return;
    }
    const group = randomGroup();
    const id = 7_200_000 + Math.floor(Math.random() * 1e5);
    const created = await admin.sync({
      request: 'create',
      type: 'rtp',
      id,
      media: [{ type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8', mcast: group, iface: LOOPBACK }],
    });
    expect(created.streaming, JSON.stringify(created)).toBe('created');
    const port = created.stream.ports[0].port as number;
    const { h, client } = await watch(stack, id);
    const tx = await multicastSender();
    let seq = 1;
    tx.send(vp8(seq++, true), port, group);
    for (let i = 0; i < 29; i++) tx.send(vp8(seq++, false), port, group);
    await waitFor(() => client.received.video >= 30, 5000, 'multicast RTP at the viewer');
    // the socket is the group's: RTP to the relay's unicast address on that port does not arrive
    for (let i = 0; i < 10; i++) tx.send(vp8(seq++, false), port, LOOPBACK);
    await sleep(400);
    expect(client.received.video).toBe(30);
    tx.close();
    await client.close();
    await h.close();
    expect((await admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
  });

  it(
    'a group that is not IPv4 multicast, or an interface the relay lacks, is refused',
    { timeout: 30_000 },
    async () => {
      const code = async (extra: Record<string, unknown>) =>
        (
          await admin.sync({
            request: 'create',
            type: 'rtp',
            id: 7_299_999,
            media: [{ type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8', ...extra }],
          })
        ).error_code;
      expect(await code({ mcast: '1.2.3.4' })).toBe(456);
      expect(await code({ mcast: 'not an address' })).toBe(456);
      expect(await code({ mcast: 5 })).toBe(454);
      expect(await code({ mcast: randomGroup(), iface: 'nosuchif0' })).toBe(456);
      expect(await code({ iface: '203.0.113.77' })).toBe(456);
      expect((await admin.sync({ request: 'info', id: 7_299_999 })).error_code).toBe(455);
    },
  );
});
