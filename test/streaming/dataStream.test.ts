import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { MountpointDataStream } from '../../relay/streaming/dataStream.js';
import type { DataSink } from '../../relay/sfu/outputs.js';

/** A viewer's data leg: records what it is given while its channel is open. */
class Sink implements DataSink {
  open = true;
  readonly got: Array<string | Buffer> = [];
  sendData(msg: string | Buffer): void {
    if (this.open) this.got.push(msg);
  }
  dataOpen(): boolean {
    return this.open;
  }
}

const sockets: Array<ReturnType<typeof createSocket>> = [];
const sender = createSocket('udp4');

/** The data stream on a real UDP socket; `datagram` sends one and resolves once the stream has it. */
async function stream(binary: boolean, buffer: boolean) {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const sinks = new Set<DataSink>();
  const s = new MountpointDataStream('d', sinks, socket, binary, buffer);
  const datagram = (text: string) =>
    new Promise<void>((r) => {
      socket.once('message', () => r());
      sender.send(text, socket.address().port, '127.0.0.1');
    });
  return { s, sinks, datagram };
}

afterAll(() => {
  for (const s of [...sockets, sender]) s.close();
});

describe('Streaming data stream (buffermsg)', async () => {
  it('gives the kept message to a sink that joins, once its channel opens, and only once', async () => {
    const { s, sinks, datagram } = await stream(false, true);
    const early = new Sink();
    sinks.add(early);
    await datagram('one');
    expect(early.got).toEqual(['one']);
    const late = new Sink();
    late.open = false;
    sinks.add(late);
    s.tick();
    expect(late.got).toEqual([]);
    late.open = true;
    s.tick();
    s.tick();
    expect(late.got).toEqual(['one']);
    expect(early.got).toEqual(['one']);
    await datagram('two');
    s.tick();
    expect(late.got).toEqual(['one', 'two']);
    expect(early.got).toEqual(['one', 'two']);
  });

  it('a sink whose channel was not open for the live message gets it from the buffer', async () => {
    const { s, sinks, datagram } = await stream(false, true);
    const sink = new Sink();
    sink.open = false;
    sinks.add(sink);
    await datagram('live');
    sink.open = true;
    s.tick();
    expect(sink.got).toEqual(['live']);
  });

  it('its forwarders get its messages only, and one that joins gets its kept message', async () => {
    const { s, sinks, datagram } = await stream(false, true);
    const viewer = new Sink();
    sinks.add(viewer);
    const otherSocket = createSocket('udp4');
    sockets.push(otherSocket);
    const other = new MountpointDataStream('d2', sinks, otherSocket, false, true);
    await datagram('one');
    const forwarder = new Sink();
    s.fanout.forwarders.add(forwarder);
    const otherForwarder = new Sink();
    other.fanout.forwarders.add(otherForwarder);
    s.tick();
    other.tick();
    expect(forwarder.got).toEqual(['one']);
    expect(otherForwarder.got).toEqual([]);
    await datagram('two');
    expect(forwarder.got).toEqual(['one', 'two']);
    expect(viewer.got).toEqual(['one', 'two']);
    expect(otherForwarder.got).toEqual([]);
  });

  it('without buffermsg nothing is kept; binary messages stay bytes', async () => {
    const { s, sinks, datagram } = await stream(true, false);
    await datagram('before');
    const sink = new Sink();
    sinks.add(sink);
    s.tick();
    expect(sink.got).toEqual([]);
    await datagram('after');
    expect(Buffer.isBuffer(sink.got[0])).toBe(true);
    expect(sink.got[0]!.toString()).toBe('after');
  });
});
