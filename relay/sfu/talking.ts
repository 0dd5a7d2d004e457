import type { TalkingSettings } from '../../shared/control/sfu.js';

/** Janus's defaults: `audio_active_packets` 100 (2 s of 20 ms packets), `audio_level_average` 25. */
export const DEFAULT_TALKING_PACKETS = 100;
export const DEFAULT_TALKING_AVERAGE = 25;

/**
 * Talking detection on one audio stream, as Janus's VideoRoom does it: the RFC 6464 levels (0 =
 * loudest … 127 = silence, i.e. -dBov) of `packets` consecutive packets are averaged; an average
 * below `average` means talking. Only a change of state is reported. No allocation per packet.
 */
export class TalkDetector {
  packets = DEFAULT_TALKING_PACKETS;
  average = DEFAULT_TALKING_AVERAGE;
  talking = false;
  /** The average level of the last complete window. */
  lastAverage = 127;
  private count = 0;
  private sum = 0;

  constructor(settings: TalkingSettings = {}) {
    this.configure(settings);
  }

  configure(settings: TalkingSettings): void {
    if (settings.packets !== undefined) this.packets = settings.packets;
    if (settings.average !== undefined) this.average = settings.average;
  }

  /** Adds one packet's level; true when the talking state changed at the end of a window. */
  add(level: number): boolean {
    this.sum += level;
    if (++this.count < this.packets) return false;
    const avg = this.sum / this.count;
    this.count = 0;
    this.sum = 0;
    this.lastAverage = avg;
    const talking = avg < this.average;
    if (talking === this.talking) return false;
    this.talking = talking;
    return true;
  }
}

/**
 * The level carried by the audio-level header extension `id` of a packet, or -1. Reads werift's
 * parsed extension list (one-byte header: the payload is `V|level`).
 */
export function audioLevelOf(extensions: ReadonlyArray<{ id: number; payload: Buffer }>, id: number): number {
  for (let i = 0; i < extensions.length; i++) {
    const e = extensions[i]!;
    if (e.id === id) return e.payload.length > 0 ? e.payload[0]! & 0x7f : -1;
  }
  return -1;
}
