import { performance } from 'node:perf_hooks';
import type { MixerSettings } from '../../shared/control/audiobridge.js';
import type { Logger } from '../logger.js';
import { GroupMixes } from './groupMixes.js';
import type { Participant } from './participant.js';
import { RoomMedia, type RoomMediaEvents } from './roomMedia.js';
import { TickClock } from './tickClock.js';
import { mixerTotals } from './totals.js';
import { createEncoder, type VoiceEncoder } from './voiceCodec.js';

/**
 * A participant whose voice has been out of the mix this long (1 s) hears the whole mix, which is
 * the same for all such participants: one encoder per encoder configuration serves them all.
 * (The wait keeps a talker's short pauses on its own encoder: a switch costs the receiver's
 * decoder a few milliseconds of mismatch.)
 */
const SHARE_AFTER_TICKS = 50;

/** One encoding of the whole mix per tick, for the idle participants of one encoder configuration. */
interface SharedEncoding {
  encoder: VoiceEncoder;
  tick: number;
  packet: Buffer;
}

/** Adds one voice (mono, `n` samples) into a mix at its gains: mono, or panned into a stereo mix. */
function addVoice(into: Int32Array, f: Int16Array, n: number, gl: number, gr: number, stereo: boolean): void {
  if (!stereo) for (let i = 0; i < n; i++) into[i] += (f[i]! * gl) | 0;
  else
    for (let i = 0; i < n; i++) {
      into[2 * i] += (f[i]! * gl) | 0;
      into[2 * i + 1] += (f[i]! * gr) | 0;
    }
}

/**
 * One room's mixer on this relay: its participants, and a 20 ms tick (one timer per mixer) that
 * takes one frame from each unmuted participant, sums them (Int32, at the room's rate; stereo with
 * each voice panned in spatial rooms), and gives every participant the sum minus its own voice,
 * clipped to Int16, which the participant encodes and sends. Everyone connected receives a frame
 * every tick, silence included, as Janus's mixer does while its room has participants. Opus
 * participants out of the mix for a second (muted, not sending) hear the whole mix from one
 * encoder shared per encoder configuration: a room of 50 with 3 talkers encodes 4 frames a tick, not 50.
 * Exists while it has participants or its room's {@link RoomMedia} is busy (held, recording,
 * forwarding, playing a file): the registry makes it and closes it when neither is left.
 */
export class Mixer {
  readonly channels: 1 | 2;
  readonly samples: number;
  readonly participants = new Set<Participant>();
  framesMixed = 0;
  framesDropped = 0;
  /** The room's recording, forwarders and files. */
  readonly media: RoomMedia;
  private readonly sum: Int32Array;
  private readonly out: Int16Array;
  /** The partial mixes of the forwarding groups forwarders carry (Janus `groups`). */
  private readonly groups: GroupMixes;
  private readonly clock: TickClock;
  private readonly shared = new Map<string, SharedEncoding>();
  private closed = false;

  constructor(
    readonly key: string,
    readonly settings: MixerSettings,
    private readonly log: Logger,
    events: RoomMediaEvents,
  ) {
    this.channels = settings.spatial ? 2 : 1;
    this.samples = settings.samplingRate / 50;
    this.media = new RoomMedia(settings.room, this.samples, this.channels, settings.samplingRate, events, log);
    this.sum = new Int32Array(this.samples * this.channels);
    this.out = new Int16Array(this.samples * this.channels);
    this.groups = new GroupMixes(this.samples * this.channels);
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

  /** Keeps the tick running for the room's media with nobody in. */
  keepTicking(): void {
    if (this.closed) throw new Error(`mixer ${this.key} is closed`);
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
    void this.media.close();
    this.participants.clear();
    for (const g of this.shared.values()) g.encoder.close();
    this.shared.clear();
    mixerTotals.mixers--;
  }

  /** An idle participant hears the whole mix, encoded once per tick for all who configured their encoder alike. */
  private hearShared(p: Participant): void {
    const key = p.encoderKey;
    let g = this.shared.get(key);
    if (!g) {
      const s = p.settings;
      const settings = { bitrate: s.bitrate, complexity: s.quality, expectedLoss: s.expectedLoss, fec: p.fec };
      g = {
        encoder: createEncoder(p.codec, this.settings.samplingRate, this.channels, settings),
        tick: -1,
        packet: Buffer.alloc(0),
      };
      this.shared.set(key, g);
    }
    if (g.tick !== this.framesMixed) {
      const sum = this.sum;
      const out = this.out;
      for (let i = 0; i < out.length; i++) {
        const v = sum[i]!;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      g.packet = g.encoder.encode(out);
      g.tick = this.framesMixed;
    }
    p.sendEncoded(g.packet);
  }

  /** Shared encoders nobody used for a while are freed. */
  private dropIdleShared(): void {
    for (const [key, g] of this.shared)
      if (this.framesMixed - g.tick > SHARE_AFTER_TICKS) {
        g.encoder.close();
        this.shared.delete(key);
      }
  }

  /** One 20 ms frame: mix, then each participant hears the mix minus itself. */
  tick(): void {
    const started = performance.now();
    const sum = this.sum;
    const stereo = this.channels === 2;
    sum.fill(0);
    const media = this.media;
    const groups = this.groups;
    groups.begin(media.forwarders.groups);
    for (const p of this.participants) {
      let n: number;
      try {
        n = p.pull();
      } catch (err) {
        this.log.warn('audiobridge decode failed', { participant: p.key, err: String(err) });
        p.frameSamples = 0;
        continue;
      }
      addVoice(sum, p.frame, n, p.gainLeft, p.gainRight, stereo);
      const group = groups.target(p.settings.group);
      if (group) addVoice(group, p.frame, n, p.gainLeft, p.gainRight, stereo);
    }
    const playing = media.players.size > 0 ? media.addSources(sum, this.samples, stereo, groups) : 0;
    const out = this.out;
    for (const p of this.participants) {
      const n = p.frameSamples;
      p.idleTicks = n > 0 ? 0 : p.idleTicks + 1;
      if (p.idleTicks >= SHARE_AFTER_TICKS && p.codec === 'opus') {
        if (p.output.ready()) this.hearShared(p);
        continue;
      }
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
    if (media.busy) media.mixed(sum, this.participants.size, playing, groups);
    this.dropIdleShared();
    this.framesMixed++;
    mixerTotals.framesMixed++;
    mixerTotals.tickMicros += Math.round((performance.now() - started) * 1000);
  }
}
