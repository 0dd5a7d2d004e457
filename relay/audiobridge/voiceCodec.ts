import type { AbCodec } from '../../shared/control/audiobridge.js';
import { g711Decode, g711Encode } from './g711.js';
import type { JitterOut } from './jitterBuffer.js';
import { OpusDecoder, OpusEncoder, type OpusEncoderSettings } from './opus.js';
import { downsample, upsample } from './resample.js';

/**
 * A participant's codec on both sides of the mixer: its packets decoded to one 20 ms mono frame at
 * the room's rate, and the mix it hears (room rate, mono or stereo) encoded to one packet.
 * Opus works at the room rate directly (8/16/24/48 kHz); G.711 is 8 kHz, resampled.
 */

export const G711_RATE = 8000;

export interface VoiceDecoder {
  /** Writes this tick's frame into `frame`; returns the samples written (0: nothing to mix). */
  decode(input: JitterOut, frame: Int16Array): number;
  reset(): void;
  close(): void;
}

export interface VoiceEncoder {
  /** The RTP clock rate (48 kHz for Opus whatever the room rate, 8 kHz for G.711). */
  readonly clockRate: number;
  /** One 20 ms frame of the mix (interleaved when stereo) to one packet's payload. */
  encode(mix: Int16Array): Buffer;
  configure(settings: OpusEncoderSettings): void;
  close(): void;
}

class OpusVoiceDecoder implements VoiceDecoder {
  private readonly dec: OpusDecoder;
  constructor(rate: number) {
    this.dec = new OpusDecoder(rate);
  }
  decode(input: JitterOut, frame: Int16Array): number {
    if (input.kind === 'packet') return this.dec.decode(input.payload, frame);
    if (input.kind === 'fec') return this.dec.decode(input.payload, frame, true);
    return this.dec.decode(undefined, frame);
  }
  reset(): void {
    this.dec.reset();
  }
  close(): void {
    this.dec.close();
  }
}

class G711VoiceDecoder implements VoiceDecoder {
  private readonly narrow = new Int16Array(G711_RATE / 50);
  private readonly factor: number;
  constructor(
    private readonly law: 'pcmu' | 'pcma',
    rate: number,
  ) {
    this.factor = rate / G711_RATE;
  }
  decode(input: JitterOut, frame: Int16Array): number {
    // G.711 has no FEC, and Janus conceals only Opus: a lost packet is silence
    if (input.kind !== 'packet') return 0;
    const n = g711Decode(this.law, input.payload, this.narrow);
    upsample(this.narrow, n, this.factor, frame);
    return n * this.factor;
  }
  reset(): void {}
  close(): void {}
}

class OpusVoiceEncoder implements VoiceEncoder {
  readonly clockRate = 48000;
  private readonly enc: OpusEncoder;
  private readonly out = Buffer.alloc(1500);
  constructor(rate: number, channels: 1 | 2, settings: OpusEncoderSettings) {
    this.enc = new OpusEncoder(rate, channels, settings);
  }
  encode(mix: Int16Array): Buffer {
    const n = this.enc.encode(mix, this.out);
    return Buffer.from(this.out.subarray(0, n));
  }
  configure(settings: OpusEncoderSettings): void {
    this.enc.configure(settings);
  }
  close(): void {
    this.enc.close();
  }
}

class G711VoiceEncoder implements VoiceEncoder {
  readonly clockRate = G711_RATE;
  private readonly mono: Int16Array;
  private readonly narrow = new Int16Array(G711_RATE / 50);
  private readonly factor: number;
  constructor(
    private readonly law: 'pcmu' | 'pcma',
    rate: number,
    private readonly channels: 1 | 2,
  ) {
    this.factor = rate / G711_RATE;
    this.mono = new Int16Array(rate / 50);
  }
  encode(mix: Int16Array): Buffer {
    let mono = mix;
    if (this.channels === 2) {
      mono = this.mono;
      for (let i = 0; i < mono.length; i++) mono[i] = (mix[2 * i]! + mix[2 * i + 1]!) >> 1;
    }
    downsample(mono, mono.length, this.factor, this.narrow);
    const out = Buffer.allocUnsafe(this.narrow.length);
    g711Encode(this.law, this.narrow, out);
    return out;
  }
  configure(): void {}
  close(): void {}
}

export function createDecoder(codec: AbCodec, rate: number): VoiceDecoder {
  return codec === 'opus' ? new OpusVoiceDecoder(rate) : new G711VoiceDecoder(codec, rate);
}

export function createEncoder(
  codec: AbCodec,
  rate: number,
  channels: 1 | 2,
  settings: OpusEncoderSettings,
): VoiceEncoder {
  return codec === 'opus'
    ? new OpusVoiceEncoder(rate, channels, settings)
    : new G711VoiceEncoder(codec, rate, channels);
}
