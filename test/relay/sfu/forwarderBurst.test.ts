import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedStream } from '../../../relay/sfu/feed.js';
import { RtpForwarder } from '../../../relay/sfu/forwarder.js';
import type { SfuForwardStream } from '../../../shared/control/sfu.js';

/**
 * An RTP forwarder's header buffer is rewritten for every packet: several packets leaving in one
 * turn (a NACK answered with many retransmissions, wrapped data messages) must each carry their own
 * header. With dgram's deferred send they all carried the last one.
 */
const sockets: Socket[] = [];
async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

describe('RTP forwarder: packets sent in one turn', () => {
  it('a NACK for 20 packets resends each with its own sequence number, timestamp and payload', async () => {
    const rx = await bound();
    const got: Buffer[] = [];
    rx.on('message', (m) => got.push(m));
    const feed = new FeedStream('pub', '1', 'video', 1, () => undefined);
    const req = { mid: '1', host: '127.0.0.1', port: rx.address().port, ssrc: 4242, pt: 96, nack: true };
    const fw = new RtpForwarder(
      await bound(),
      '1',
      'video',
      feed,
      '127.0.0.1',
      rx.address().port,
      undefined,
      req as SfuForwardStream,
      undefined,
    );
    for (let i = 0; i < 20; i++)
      fw.forward(0, 1, 96, 100 + i, 9000 * i, false, Buffer.alloc(50, i), i === 0, Date.now());
    await new Promise((r) => setTimeout(r, 100));
    const sent = got.splice(0).map((m) => ({ seq: m.readUInt16BE(2), ts: m.readUInt32BE(4), body: m[12] }));
    expect(sent).toHaveLength(20);
    fw.onNack(sent.map((s) => s.seq));
    await new Promise((r) => setTimeout(r, 100));
    const resent = got.map((m) => ({ seq: m.readUInt16BE(2), ts: m.readUInt32BE(4), body: m[12] }));
    expect(resent).toEqual(sent);
    expect(fw.retransmitted).toBe(20);
  });
});
