import type { Socket } from 'node:dgram';
import { DataFanout } from '../sfu/dataFanout.js';
import type { DataSink } from '../sfu/outputs.js';

/**
 * A data stream of a mountpoint (Janus's `data` media): each UDP datagram on its port is one
 * DataChannel message to every viewer (text, or binary with `datatype: binary`), and to the cascade
 * forwarders of this stream. With `buffermsg` the last message is kept, and a viewer (or a cascade)
 * that joins gets it ({@link DataFanout}).
 */
export class MountpointDataStream {
  messagesIn = 0;
  bytesIn = 0;
  lastRxAt = Date.now();
  readonly fanout: DataFanout;

  constructor(
    readonly mid: string,
    viewers: Set<DataSink>,
    socket: Socket,
    private readonly binary: boolean,
    buffer: boolean,
  ) {
    this.fanout = new DataFanout(mid, viewers, buffer);
    socket.on('message', (msg: Buffer) => this.onDatagram(msg));
  }

  private onDatagram(msg: Buffer): void {
    this.messagesIn++;
    this.bytesIn += msg.length;
    this.lastRxAt = Date.now();
    // each datagram is a Buffer of its own: binary messages are sent (and kept) as they are
    this.fanout.deliver(this.binary ? msg : msg.toString('utf8'));
  }

  tick(): void {
    this.fanout.tick();
  }

  close(): void {
    this.fanout.clear();
  }
}
