import { KeptDataMessage } from './keptMessage.js';
import type { DataSink } from './outputs.js';

/**
 * Where one data stream's messages go: to its source's subscribers (one set that every data stream of
 * the source feeds, as a subscriber has one DataChannel) and to the forwarders of this stream alone (a
 * cascade carries each data stream on its own SSRC, so the far relay can tell them apart). With
 * `buffermsg` it keeps the stream's last message for the sinks that join ({@link KeptDataMessage}).
 */
export class DataFanout {
  /** Forwarders of this stream only (`sfu.forward` naming its mid). */
  readonly forwarders = new Set<DataSink>();
  private kept: KeptDataMessage | undefined;

  constructor(
    readonly mid: string,
    private readonly subscribers: Set<DataSink>,
    keep: boolean,
  ) {
    this.keep = keep;
  }

  /** Whether the last message is kept (a remote publisher's stream may be told so later). */
  set keep(on: boolean) {
    this.kept = on ? (this.kept ?? new KeptDataMessage([this.subscribers, this.forwarders])) : undefined;
  }

  get keeping(): boolean {
    return this.kept !== undefined;
  }

  /** Whether a message sent now reaches anyone (when nothing is kept, an idle stream skips decoding). */
  get heard(): boolean {
    return this.subscribers.size > 0 || this.forwarders.size > 0;
  }

  /** Sends a message to every sink (and keeps it, with `buffermsg`). A kept Buffer must be the caller's own copy. */
  deliver(msg: string | Buffer): void {
    if (this.kept) {
      this.kept.deliver(msg);
      return;
    }
    for (const sink of this.subscribers) sink.sendData(msg);
    for (const sink of this.forwarders) sink.sendData(msg);
  }

  /** Gives the kept message to sinks that joined since (relay tick). */
  tick(): void {
    this.kept?.tick();
  }

  /** Forgets the kept message (the stream closes). */
  clear(): void {
    this.kept?.clear();
  }
}
