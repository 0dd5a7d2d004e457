import type { FeedStream } from '../sfu/feed.js';
import type { FeedTap } from '../sfu/outputs.js';
import { LayerSelector, SeqRewriter } from '../sfu/rewrite.js';
import type { MjrWriter } from './mjrWriter.js';

/**
 * A VideoRoom publisher stream's recording: a tap on its feed writing every packet to the file. A
 * simulcast stream records one layer at a time, the best available, as Janus's VideoRoom does (its
 * recording simulcast context targets substream 2 and falls back while that layer is silent),
 * switching at keyframes; the writer keeps the stored sequence numbers and timestamps continuous
 * across switches and stores one SSRC.
 */
export class FeedRecorder implements FeedTap {
  private readonly layers = new LayerSelector('fallback', 2, new SeqRewriter(90_000));

  constructor(
    private readonly feed: FeedStream,
    readonly writer: MjrWriter,
  ) {}

  forward(
    layer: number,
    layers: number,
    pt: number,
    seq: number,
    ts: number,
    marker: boolean,
    payload: Buffer,
    key: boolean,
    now: number,
  ): void {
    if (layers > 1 && !this.layers.accept(layer, layers, key, now, this.feed)) return;
    this.writer.writeRtp(this.feed.layerSsrcs[layer] ?? 0, pt, seq, ts, marker, payload);
  }

  /** The writer sees the new SSRC itself and keeps the stored sequence continuous (rtpContinuity.ts). */
  resync(): void {}
}
