import { codecCounts } from './totals.js';
import {
  OPUS_APPLICATION_VOIP,
  OPUS_AUTO,
  OPUS_PACKET_MAX,
  OPUS_SIGNAL_VOICE,
  OpusCtl,
  opusModule,
  type OpusModule,
} from './opusWasm.js';

/** Errors of libopus calls (negative return codes) as exceptions. */
function check(what: string, code: number): number {
  if (code < 0) throw new Error(`opus ${what} failed (${code})`);
  return code;
}

/**
 * An Opus decoder at the room's rate, mono for the mixer (libopus down-mixes a stereo stream);
 * stereo output (interleaved) for whoever needs to listen to a spatial mix. Writes into the
 * caller's frame: no allocation per packet.
 */
export class OpusDecoder {
  private readonly m: OpusModule = opusModule();
  private ptr: number;

  constructor(
    readonly rate: number,
    readonly channels: 1 | 2 = 1,
  ) {
    const e = this.m.exports;
    this.ptr = e.malloc(e.opus_decoder_get_size(channels));
    if (e.opus_decoder_init(this.ptr, rate, channels) < 0) {
      e.free(this.ptr);
      throw new Error(`opus decoder init failed at ${rate} Hz`);
    }
    codecCounts.decoders++;
  }

  /**
   * Decodes one packet into `out` (20 ms at the room rate); `fec`: recover the frame *before* this
   * packet from its in-band FEC data. `payload` undefined: packet-loss concealment. Returns samples
   * per channel.
   */
  decode(payload: Uint8Array | undefined, out: Int16Array, fec = false): number {
    const { exports: e, pcm, packet } = this.m;
    let n: number;
    if (payload && payload.length > 0) {
      if (payload.length > OPUS_PACKET_MAX) return 0;
      this.m.heap().set(payload, packet);
      n = e.opus_decode(this.ptr, packet, payload.length, pcm, out.length / this.channels, fec ? 1 : 0);
    } else n = e.opus_decode(this.ptr, 0, 0, pcm, out.length / this.channels, 0);
    if (n <= 0) return 0;
    const heap = this.m.heap();
    out.set(new Int16Array(heap.buffer, heap.byteOffset + pcm, n * this.channels));
    return n;
  }

  reset(): void {
    this.m.exports.opus_decoder_ctl_set(this.ptr, OpusCtl.RESET_STATE, 0);
  }

  close(): void {
    if (!this.ptr) return;
    this.m.exports.free(this.ptr);
    this.ptr = 0;
    codecCounts.decoders--;
  }
}

export interface OpusEncoderSettings {
  /** bits/s; 0 = libopus's choice. */
  bitrate: number;
  /** 1–10 (Janus `quality`). */
  complexity: number;
  /** 0–20 %: > 0 turns in-band FEC on with this loss estimate. */
  expectedLoss: number;
  /** In-band FEC even with no loss expected (a plain-RTP participant's `fec`). */
  fec?: boolean;
}

/** An Opus encoder at the room's rate (VoIP application, voice signal), mono or stereo (spatial rooms). */
export class OpusEncoder {
  private readonly m: OpusModule = opusModule();
  private ptr: number;

  constructor(
    readonly rate: number,
    readonly channels: 1 | 2,
    settings: OpusEncoderSettings,
  ) {
    const e = this.m.exports;
    this.ptr = e.malloc(e.opus_encoder_get_size(channels));
    if (e.opus_encoder_init(this.ptr, rate, channels, OPUS_APPLICATION_VOIP) < 0) {
      e.free(this.ptr);
      throw new Error(`opus encoder init failed at ${rate} Hz`);
    }
    codecCounts.encoders++;
    e.opus_encoder_ctl_set(this.ptr, OpusCtl.SET_SIGNAL, OPUS_SIGNAL_VOICE);
    this.configure(settings);
  }

  configure(s: OpusEncoderSettings): void {
    const e = this.m.exports;
    check('bitrate', e.opus_encoder_ctl_set(this.ptr, OpusCtl.SET_BITRATE, s.bitrate > 0 ? s.bitrate : OPUS_AUTO));
    check('complexity', e.opus_encoder_ctl_set(this.ptr, OpusCtl.SET_COMPLEXITY, s.complexity));
    e.opus_encoder_ctl_set(this.ptr, OpusCtl.SET_INBAND_FEC, s.fec || s.expectedLoss > 0 ? 1 : 0);
    e.opus_encoder_ctl_set(this.ptr, OpusCtl.SET_PACKET_LOSS_PERC, s.expectedLoss);
  }

  /** Encodes one frame (interleaved when stereo) into `out`; returns the packet's length. */
  encode(frame: Int16Array, out: Buffer): number {
    const { exports: e, pcm, packet } = this.m;
    const heap = this.m.heap();
    heap.set(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), pcm);
    const n = check('encode', e.opus_encode(this.ptr, pcm, frame.length / this.channels, packet, OPUS_PACKET_MAX));
    out.set(this.m.heap().subarray(packet, packet + n));
    return n;
  }

  close(): void {
    if (!this.ptr) return;
    this.m.exports.free(this.ptr);
    this.ptr = 0;
    codecCounts.encoders--;
  }
}
