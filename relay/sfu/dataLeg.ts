import type { FeedIdValue } from '../../shared/control/sfu.js';
import type { FeedSource } from './feed.js';
import type { DataSink } from './outputs.js';

/** A data "stream" of a subscriber: one publisher's data channel messages, on the single m=application. */
export class DataLeg implements DataSink {
  constructor(
    readonly sub: DataSink & { dataOpen(): boolean },
    public feedId: FeedIdValue,
    public feedKey: string,
    public feedMid: string,
    public send: boolean,
    public publisher: FeedSource | undefined,
  ) {
    publisher?.dataSinks.add(this);
  }
  get active(): boolean {
    return this.publisher !== undefined || this.keep;
  }
  /** Stays listed as active after its publisher left, until the edge removes it (like media legs). */
  keep = false;
  sendData(msg: string | Buffer): void {
    if (this.send) this.sub.sendData(msg);
  }
  dataOpen(): boolean {
    return this.send && this.sub.dataOpen();
  }
  detach(): void {
    this.publisher?.dataSinks.delete(this);
    this.publisher = undefined;
  }
}
