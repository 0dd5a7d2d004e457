import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { directUdpAvailable, holdSends, releaseSends, UdpPath, writeSockaddr } from '../../../relay/net/directUdp.js';

const sockets: Socket[] = [];
async function bound(type: 'udp4' | 'udp6' = 'udp4'): Promise<Socket> {
  const s = createSocket(type);
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', r));
  return s;
}
function collect(s: Socket): Buffer[] {
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  return got;
}
const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  for (const s of sockets.splice(0))
    try {
      s.close();
    } catch {
      // already closed
    }
});

describe('direct UDP sends (sendto/sendmmsg on the dgram socket’s descriptor)', () => {
  it('is available here (Linux, koffi)', () => {
    expect(directUdpAvailable()).toBe(true);
  });

  it('sends synchronously: a buffer rewritten right after each send still delivers every datagram as it was, in order', async () => {
    const rx = await bound();
    const got = collect(rx);
    const path = new UdpPath(await bound(), '127.0.0.1', rx.address().port);
    expect(path.directCapable).toBe(true);
    const buf = Buffer.alloc(300);
    for (let i = 0; i < 50; i++) {
      buf.fill(i);
      path.send(buf, 100 + i, true);
    }
    buf.fill(0xff);
    await settle();
    expect(path.direct).toBe(50);
    expect(path.viaDgram).toBe(0);
    expect(got.map((m) => [m.length, m[0], m[m.length - 1]])).toEqual(
      Array.from({ length: 50 }, (_, i) => [100 + i, i, i]),
    );
  });

  it('a held burst leaves in order through sendmmsg, runs per socket, with the bytes of each send', async () => {
    const rxA = await bound();
    const rxB = await bound();
    const gotA = collect(rxA);
    const gotB = collect(rxB);
    const txA = await bound();
    const txB = await bound();
    const a = new UdpPath(txA, '127.0.0.1', rxA.address().port);
    const b = new UdpPath(txB, '127.0.0.1', rxB.address().port);
    const buf = Buffer.alloc(1200);
    const N = 60; // a batch holds at most 64 datagrams
    holdSends();
    try {
      for (let i = 0; i < N; i++) {
        buf.fill(i);
        (i % 10 < 7 ? a : b).send(buf, 1000 + i, true);
      }
      buf.fill(0xff);
      await settle(50);
      expect(gotA).toHaveLength(0); // nothing left before the release
    } finally {
      releaseSends();
    }
    await settle();
    const expectFor = (pick: (i: number) => boolean) =>
      Array.from({ length: N }, (_, i) => i)
        .filter(pick)
        .map((i) => [1000 + i, i]);
    expect(gotA.map((m) => [m.length, m[0]])).toEqual(expectFor((i) => i % 10 < 7));
    expect(gotB.map((m) => [m.length, m[0]])).toEqual(expectFor((i) => i % 10 >= 7));
    expect(a.direct + b.direct).toBe(N);
  });

  it('falls back to dgram (copying reused buffers) for a destination that is no IP literal', async () => {
    const rx = await bound();
    const got = collect(rx);
    const path = new UdpPath(await bound(), 'localhost', rx.address().port);
    expect(path.directCapable).toBe(false);
    const buf = Buffer.alloc(10);
    for (let i = 0; i < 5; i++) {
      buf.fill(i);
      path.send(buf, 10, true);
    }
    await settle(300);
    expect(path.viaDgram).toBe(5);
    // each datagram kept its own bytes (dgram resolves a name per send: their order is its own)
    expect(got.map((m) => m[0]).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('drops sends on a closed socket (its descriptor may already name another file)', async () => {
    const rx = await bound();
    const got = collect(rx);
    const tx = await bound();
    const path = new UdpPath(tx, '127.0.0.1', rx.address().port);
    tx.close();
    path.send(Buffer.alloc(20), 20, true);
    await settle();
    expect(got).toHaveLength(0);
    expect(path.direct + path.viaDgram).toBe(0);
  });

  it('IPv6: sockaddr_in6 for compressed and dotted literals; sends on a udp6 socket', async () => {
    const out = Buffer.alloc(28);
    expect(writeSockaddr(out, 'udp6', '2001:db8::1', 5004)).toBe(28);
    expect(out.toString('hex')).toBe('0a00138c00000000' + '20010db8000000000000000000000001' + '00000000');
    expect(writeSockaddr(out, 'udp6', '::ffff:192.0.2.1', 1)).toBe(28);
    expect(out.subarray(8, 24).toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(writeSockaddr(out, 'udp4', '2001:db8::1', 1)).toBe(0);
    expect(writeSockaddr(out, 'udp6', 'fe80::1%eth0', 1)).toBe(0);
    expect(writeSockaddr(out, 'udp4', '192.0.2.7', 0x1234)).toBe(16);
    expect(out.subarray(0, 8).toString('hex')).toBe('02001234c0000207');
    let rx: Socket;
    try {
      rx = await bound('udp6');
    } catch {
      return; // no IPv6 loopback here
    }
    const got = collect(rx);
    const path = new UdpPath(await bound('udp6'), '::1', rx.address().port);
    path.send(Buffer.from('hello'), 5, false);
    await settle();
    expect(path.direct).toBe(1);
    expect(got.map(String)).toEqual(['hello']);
  });
});
