import type { Socket } from 'node:dgram';
import { KeptDataMessage } from '../sfu/keptMessage.js';
import type { DataSink } from '../sfu/outputs.js';

/**
 * A data stream of a mountpoint (Janus's `data` media): each UDP datagram on its port is one
 * DataChannel message to every viewer (text, or binary with `datatype: binary`). With `buffermsg`
 * the last message is kept, and a viewer (or a cascade) that joins gets it ({@link KeptDataMessage}).
 */
export class MountpointDataStream {
  messagesIn = 0;
  bytesIn = 0;
  lastRxAt = Date.now();
  private readonly kept: KeptDataMessage | undefined;

  constructor(
    readonly mid: string,
    private readonly sinks: Set<DataSink>,
    socket: Socket,
    private readonly binary: boolean,
    buffer: boolean,
  ) {
    this.kept = buffer ? new KeptDataMessage(sinks) : undefined;
    socket.on('message', (msg: Buffer) => this.onDatagram(msg));
  }

  private onDatagram(msg: Buffer): void {
    this.messagesIn++;
    this.bytesIn += msg.length;
    this.lastRxAt = Date.now();
    // each datagram is a Buffer of its own: binary messages are sent (and kept) as they are
    const out = this.binary ? msg : msg.toString('utf8');
    if (this.kept) this.kept.deliver(out);
    else for (const sink of this.sinks) sink.sendData(out);
  }

  tick(): void {
    this.kept?.tick();
  }

  close(): void {
    this.kept?.clear();
  }
}
