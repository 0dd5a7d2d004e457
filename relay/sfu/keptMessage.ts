import type { DataSink } from './outputs.js';

/** Whether a sink can carry a message now (a viewer's channel may still be opening). */
const canCarry = (sink: DataSink) => sink.dataOpen?.() ?? true;

/**
 * Janus's `buffermsg`: the last data message of a stream, kept so that a sink that joins (a viewer, a
 * cascade's forwarder) gets it as soon as its channel can carry it (checked on the relay's tick).
 * A Streaming mountpoint's data stream keeps it, and so does each data stream of its cascade's remote
 * publisher on a far relay, for the viewers there (relay/sfu/dataFanout.ts).
 */
export class KeptDataMessage {
  private last: string | Buffer | undefined;
  /** Sinks that have the kept message (got it live or from here). */
  private given = new WeakSet<DataSink>();

  /** `sinkSets`: every set of sinks the stream's messages go to (its subscribers, its forwarders). */
  constructor(private readonly sinkSets: ReadonlyArray<ReadonlySet<DataSink>>) {}

  /** Sends a new message to every sink and keeps it. */
  deliver(msg: string | Buffer): void {
    this.last = msg;
    this.given = new WeakSet();
    for (const sinks of this.sinkSets)
      for (const sink of sinks) {
        if (canCarry(sink)) this.given.add(sink);
        sink.sendData(msg);
      }
  }

  /** Gives the kept message to the sinks that do not have it yet, once their channel is open. */
  tick(): void {
    if (this.last === undefined) return;
    for (const sinks of this.sinkSets)
      for (const sink of sinks) {
        if (this.given.has(sink) || !canCarry(sink)) continue;
        this.given.add(sink);
        sink.sendData(this.last);
      }
  }

  clear(): void {
    this.last = undefined;
  }
}
