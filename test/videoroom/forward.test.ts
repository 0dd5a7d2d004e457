import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish } from './support/participant.js';

/** A local UDP socket counting the RTP packets it receives, by SSRC. */
async function rtpSink(): Promise<{ socket: Socket; port: number; bySsrc: Map<number, number> }> {
  const socket = createSocket('udp4');
  const bySsrc = new Map<number, number>();
  socket.on('message', (m) => {
    if (m.length >= 12) bySsrc.set(m.readUInt32BE(8), (bySsrc.get(m.readUInt32BE(8)) ?? 0) + 1);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port, bySsrc };
}

describe('VideoRoom rtp_forward through the stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('forwards a publisher’s video as plain RTP, lists the forwarder, stops it, and checks its errors', async () => {
    const admin = await Participant.connect(stack);
    const room = 6_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room, secret: 'fw' });
    const pub = await publish(stack, room, 7);
    const sink = await rtpSink();
    try {
      const offered = pub.client.pc.getTransceivers().find((t) => t.kind === 'video')!.mid!;
      expect(
        (
          await admin.sync({
            request: 'rtp_forward',
            room,
            publisher_id: 7,
            host: '127.0.0.1',
            secret: 'bad',
            streams: [{ mid: offered, port: sink.port }],
          })
        ).error_code,
      ).toBe(433);
      expect(
        (
          await admin.sync({
            request: 'rtp_forward',
            room,
            publisher_id: 8,
            host: '127.0.0.1',
            secret: 'fw',
            streams: [{ mid: offered, port: sink.port }],
          })
        ).error_code,
      ).toBe(428);
      expect(
        (
          await admin.sync({
            request: 'rtp_forward',
            room,
            publisher_id: 7,
            secret: 'fw',
            streams: [{ mid: offered, port: sink.port }],
          })
        ).error_code,
      ).toBe(429);
      const fw = await admin.sync({
        request: 'rtp_forward',
        room,
        publisher_id: 7,
        host: '127.0.0.1',
        secret: 'fw',
        streams: [{ mid: offered, port: sink.port, ssrc: 4242, pt: 100 }],
      });
      expect(fw).toMatchObject({ videoroom: 'rtp_forward', room, publisher_id: 7 });
      expect(fw.forwarders).toHaveLength(1);
      expect(fw.forwarders[0]).toMatchObject({
        type: 'video',
        host: '127.0.0.1',
        port: sink.port,
        ssrc: 4242,
        pt: 100,
        srtp: false,
      });
      pub.client.startSending(pub.video, 10);
      await waitFor(() => (sink.bySsrc.get(4242) ?? 0) > 30, 10_000, 'forwarded RTP');
      const listed = await admin.sync({ request: 'listforwarders', room, secret: 'fw' });
      expect(listed.publishers).toEqual([
        {
          publisher_id: 7,
          display: 'pub7',
          forwarders: [expect.objectContaining({ stream_id: fw.forwarders[0].stream_id, port: sink.port })],
        },
      ]);
      const stopped = await admin.sync({
        request: 'stop_rtp_forward',
        room,
        publisher_id: 7,
        stream_id: fw.forwarders[0].stream_id,
        secret: 'fw',
      });
      expect(stopped).toEqual({
        videoroom: 'stop_rtp_forward',
        room,
        publisher_id: 7,
        stream_id: fw.forwarders[0].stream_id,
      });
      await new Promise((r) => setTimeout(r, 300));
      const after = sink.bySsrc.get(4242) ?? 0;
      await new Promise((r) => setTimeout(r, 500));
      expect(sink.bySsrc.get(4242) ?? 0).toBe(after);
      expect((await admin.sync({ request: 'listforwarders', room, secret: 'fw' })).publishers).toEqual([]);
      expect(
        (
          await admin.sync({
            request: 'stop_rtp_forward',
            room,
            publisher_id: 7,
            stream_id: fw.forwarders[0].stream_id,
            secret: 'fw',
          })
        ).error_code,
      ).toBe(428);
    } finally {
      pub.client.stopSending(pub.video);
      await pub.client.close();
      sink.socket.close();
      await pub.p.close();
      await admin.close();
    }
  }, 90_000);
});
