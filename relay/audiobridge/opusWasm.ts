import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * libopus compiled to WebAssembly, as shipped by the `@evan/opus` package (pinned: we use its
 * `.wasm` exports, not its JS wrapper). The wrapper's decode() cannot conceal a lost 20 ms frame
 * (it asks for 120 ms) nor decode in-band FEC; the module exports the plain libopus API
 * (`opus_decode(dec, data, len, pcm, frame_size, decode_fec)`, the CTLs), so the AudioBridge
 * drives it directly. One instance per process: every encoder and decoder lives in its memory,
 * and all calls are synchronous, so two scratch regions (PCM and packet) serve them all.
 */

interface OpusExports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  opus_decoder_get_size(channels: number): number;
  opus_decoder_init(ptr: number, rate: number, channels: number): number;
  opus_decode(ptr: number, data: number, len: number, pcm: number, frameSize: number, fec: number): number;
  opus_decoder_ctl_set(ptr: number, ctl: number, arg: number): number;
  opus_encoder_get_size(channels: number): number;
  opus_encoder_init(ptr: number, rate: number, channels: number, application: number): number;
  opus_encode(ptr: number, pcm: number, frameSize: number, data: number, maxBytes: number): number;
  opus_encoder_ctl_set(ptr: number, ctl: number, arg: number): number;
}

/** 120 ms of stereo 48 kHz, the most one call decodes. */
const PCM_SCRATCH_BYTES = 5760 * 2 * 2;
const PACKET_SCRATCH_BYTES = 4000;

export interface OpusModule {
  exports: OpusExports;
  pcm: number;
  packet: number;
  /** A byte view of the module's memory (re-made after the memory grew). */
  heap(): Uint8Array;
}

let loaded: OpusModule | undefined;

function wasmFile(): Uint8Array<ArrayBuffer> {
  const require = createRequire(import.meta.url);
  const simd = WebAssembly.validate(
    Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11),
  );
  return new Uint8Array(readFileSync(require.resolve(`@evan/opus/wasm/${simd ? 'simd' : 'opus'}.wasm`)));
}

/** The process's libopus, instantiated on first use (synchronously: ~1 ms, once). */
export function opusModule(): OpusModule {
  if (loaded) return loaded;
  const noop = (): void => {};
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmFile()), {
    wasi_snapshot_preview1: { fd_seek: noop, fd_write: noop, fd_close: noop, proc_exit: noop },
    env: { emscripten_notify_memory_growth: noop },
  });
  const exports = instance.exports as unknown as OpusExports;
  let view = new Uint8Array(exports.memory.buffer);
  loaded = {
    exports,
    pcm: exports.malloc(PCM_SCRATCH_BYTES),
    packet: exports.malloc(PACKET_SCRATCH_BYTES),
    heap: () => {
      if (view.buffer !== exports.memory.buffer) view = new Uint8Array(exports.memory.buffer);
      return view;
    },
  };
  return loaded;
}

export const OPUS_PACKET_MAX = PACKET_SCRATCH_BYTES;

/** libopus CTL requests (opus_defines.h). */
export const OpusCtl = {
  SET_BITRATE: 4002,
  SET_COMPLEXITY: 4010,
  SET_INBAND_FEC: 4012,
  SET_PACKET_LOSS_PERC: 4014,
  SET_SIGNAL: 4024,
  RESET_STATE: 4028,
} as const;
export const OPUS_AUTO = -1000;
export const OPUS_APPLICATION_VOIP = 2048;
export const OPUS_SIGNAL_VOICE = 3001;
