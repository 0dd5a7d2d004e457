import { performance } from 'node:perf_hooks';
import type { MixerSettings } from '../../shared/control/audiobridge.js';
import type { Logger } from '../logger.js';
import type { Participant } from './participant.js';
import { TickClock } from './tickClock.js';
import { mixerTotals } from './totals.js';

/**
 * One room's mixer on this relay: its participants, and a 20 ms tick (one timer per mixer) that
 * takes one frame from each unmuted participant, sums them (Int32, at the room's rate; stereo with
 * each voice panned in spatial rooms), and gives every participant the sum minus its own voice,
 * clipped to Int16, which the participant encodes and sends. Everyone connected receives a frame
 * every tick, silence included, as Janus's mixer does while its room has participants.
 * Exists while it has participants: the registry makes it on the first join and closes it with the last leave.
 */
export class Mixer {
  readonly channels: 1 | 2;
  readonly samples: number;
  readonly participants = new Set<Participant>();
  framesMixed = 0;
  framesDropped = 0;
  private readonly sum: Int32Array;
  private readonly out: Int16Array;
  private readonly clock: TickClock;
  private closed = false;

  constructor(
    readonly key: string,
    readonly settings: MixerSettings,
    private readonly log: Logger,
  ) {
    this.channels = settings.spatial ? 2 : 1;
    this.samples = settings.samplingRate / 50;
    this.sum = new Int32Array(this.samples * this.channels);
    this.out = new Int16Array(this.samples * this.channels);
    this.clock = new TickClock(
      () => this.tick(),
      (n) => {
        this.framesDropped += n;
        mixerTotals.framesDropped += n;
      },
    );
    mixerTotals.mixers++;
  }

  get size(): number {
    return this.participants.size;
  }

  add(p: Participant): void {
    if (this.closed) throw new Error(`mixer ${this.key} is closed`);
    p.attach(this.settings, this.channels);
    this.participants.add(p);
    this.clock.start();
  }

  /** Takes a participant out (its codec state stays with it); true when the mixer is now empty. */
  remove(p: Participant): boolean {
    this.participants.delete(p);
    return this.participants.size === 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.stop();
    this.participants.clear();
    mixerTotals.mixers--;
  }

  /** One 20 ms frame: mix, then each participant hears the mix minus itself. */
  tick(): void {
    const started = performance.now();
    const sum = this.sum;
    const stereo = this.channels === 2;
    sum.fill(0);
    for (const p of this.participants) {
      let n: number;
      try {
        n = p.pull();
      } catch (err) {
        this.log.warn('audiobridge decode failed', { participant: p.key, err: String(err) });
        p.frameSamples = 0;
        continue;
      }
      const f = p.frame;
      const gl = p.gainLeft;
      if (!stereo) for (let i = 0; i < n; i++) sum[i] += (f[i]! * gl) | 0;
      else {
        const gr = p.gainRight;
        for (let i = 0; i < n; i++) {
          sum[2 * i] += (f[i]! * gl) | 0;
          sum[2 * i + 1] += (f[i]! * gr) | 0;
        }
      }
    }
    const out = this.out;
    for (const p of this.participants) {
      const n = p.frameSamples;
      const f = p.frame;
      const gl = p.gainLeft;
      const gr = p.gainRight;
      for (let i = 0; i < out.length; i++) {
        let v = sum[i]!;
        // mix-minus: the same integer contribution that was added is taken out
        if (!stereo) {
          if (i < n) v -= (f[i]! * gl) | 0;
        } else {
          const s = i >> 1;
          if (s < n) v -= (f[s]! * (i & 1 ? gr : gl)) | 0;
        }
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      try {
        p.hear(out);
      } catch (err) {
        this.log.warn('audiobridge encode failed', { participant: p.key, err: String(err) });
      }
    }
    this.framesMixed++;
    mixerTotals.framesMixed++;
    mixerTotals.tickMicros += Math.round((performance.now() - started) * 1000);
  }
}
