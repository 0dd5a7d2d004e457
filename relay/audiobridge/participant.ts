import type { AbCodec, AbId, MixerSettings, ParticipantSettings } from '../../shared/control/audiobridge.js';
import type { TalkingSettings } from '../../shared/control/sfu.js';
import { TalkDetector } from '../sfu/talking.js';
import { JitterBuffer } from './jitterBuffer.js';
import { frameLevel } from './level.js';
import { mixerTotals } from './totals.js';
import { createDecoder, createEncoder, type VoiceDecoder, type VoiceEncoder } from './voiceCodec.js';

/** Janus's defaults for a participant (janus_audiobridge.c). */
export const PARTICIPANT_DEFAULTS = {
  muted: false,
  bitrate: 0,
  quality: 4,
  expectedLoss: 0,
  volume: 100,
  spatialPosition: 50,
  prebuffer: 6,
};
export type ResolvedSettings = typeof PARTICIPANT_DEFAULTS & { talking?: TalkingSettings; group?: string };

/** Where a participant's mix goes: its PeerConnection (SRTP) or its plain-RTP socket. */
export interface VoiceOutput {
  /** False while nothing can be sent (ICE/DTLS not up, no destination latched yet): no encoding then. */
  ready(): boolean;
  send(payload: Buffer, seq: number, timestamp: number, marker: boolean): void;
}

/** The room ids a participant's events name, and where they go. */
export interface ParticipantHost {
  onTalking(p: Participant, talking: boolean, level: number): void;
}

/** Counters for peer.info and metrics. */
export interface VoiceCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
}

/**
 * One voice in a mixer: its inbound packets (jitter buffer, decoder), its settings, and what it
 * hears (encoder, RTP sequence/timestamp). Its codec state is made for the mixer it is in
 * ({@link attach}) and freed by {@link close}; the mixer calls {@link pull} then {@link hear} once a tick.
 */
export class Participant {
  settings: ResolvedSettings;
  readonly jitter: JitterBuffer;
  readonly counters: VoiceCounters = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
  /** This tick's decoded voice (mono, room rate) and its length (0 = not in this tick's mix). */
  frame = new Int16Array(0);
  frameSamples = 0;
  /** Gains of this voice in the mix (left/right in spatial rooms; left only in mono ones). */
  gainLeft = 1;
  gainRight = 0;
  /** The RFC 6464 extension id of its packets (0 = none: the decoded energy is used). */
  audioLevelId = 0;
  room: AbId = 0;
  private decoder: VoiceDecoder | undefined;
  private encoder: VoiceEncoder | undefined;
  private talk: TalkDetector | undefined;
  private seq = Math.floor(Math.random() * 0x10000);
  private timestamp = Math.floor(Math.random() * 0x100000000);
  private sent = 0;
  private closed = false;
  /** The RTP timestamp and wall-clock time (ms) of the last frame sent (sender reports). */
  lastSentTimestamp = 0;
  lastSentAt = 0;

  constructor(
    readonly key: string,
    public id: AbId,
    readonly codec: AbCodec,
    settings: ParticipantSettings,
    readonly output: VoiceOutput,
    private readonly host: ParticipantHost,
  ) {
    this.settings = { ...PARTICIPANT_DEFAULTS };
    this.jitter = new JitterBuffer(PARTICIPANT_DEFAULTS.prebuffer);
    this.apply(settings);
    mixerTotals.participants++;
  }

  /** Makes the codec state for a mixer (the first join, or a move to a mixer of another rate). */
  attach(mixer: MixerSettings, channels: 1 | 2): void {
    this.room = mixer.room;
    this.decoder?.close();
    this.encoder?.close();
    this.decoder = undefined;
    this.encoder = undefined;
    this.frame = new Int16Array(mixer.samplingRate / 50);
    this.frameSamples = 0;
    this.jitter.reset();
    this.decoder = createDecoder(this.codec, mixer.samplingRate);
    this.encoder = createEncoder(this.codec, mixer.samplingRate, channels, this.encoderSettings());
    const t = mixer.talking;
    this.talk = t ? new TalkDetector({ ...t, ...this.settings.talking }) : undefined;
    this.updateGains(channels);
  }

  /** Applies settings (join defaults, `ab.configure`); takes effect on the next tick. */
  apply(s: ParticipantSettings, channels?: 1 | 2): void {
    const before = this.settings;
    const next = { ...before };
    for (const [k, v] of Object.entries(s)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    this.settings = next;
    this.jitter.prebuffer = next.prebuffer;
    if (
      this.encoder &&
      (next.bitrate !== before.bitrate || next.quality !== before.quality || next.expectedLoss !== before.expectedLoss)
    )
      this.encoder.configure(this.encoderSettings());
    if (s.talking && this.talk) this.talk.configure(s.talking);
    if (channels) this.updateGains(channels);
  }

  /** Janus's plain-RTP `fec`: in-band FEC on what this participant hears, whatever the expected loss. */
  fec = false;

  private encoderSettings() {
    const s = this.settings;
    return { bitrate: s.bitrate, complexity: s.quality, expectedLoss: s.expectedLoss, fec: this.fec };
  }

  /** Janus: volume in percent; spatial rooms pan it left (100 - position) and right (position). */
  private updateGains(channels: 1 | 2): void {
    const g = this.settings.volume / 100;
    if (channels === 1) {
      this.gainLeft = g;
      this.gainRight = 0;
    } else {
      this.gainLeft = (g * (100 - this.settings.spatialPosition)) / 100;
      this.gainRight = (g * this.settings.spatialPosition) / 100;
    }
  }

  /** An RTP packet from the participant; `level` is its audio-level extension value, or -1. */
  receive(seq: number, payload: Buffer, level: number): void {
    if (this.closed) return;
    this.counters.packetsIn++;
    this.counters.bytesIn += payload.length + 12;
    if (level >= 0 && this.talk && this.talk.add(level))
      this.host.onTalking(this, this.talk.talking, this.talk.lastAverage);
    this.jitter.push(seq, payload, level === 127);
  }

  /** Janus `resetdecoder`. */
  resetDecoder(): void {
    this.jitter.reset();
    this.decoder?.reset();
  }

  /** Takes this tick's frame from the jitter buffer and decodes it (nothing when muted). */
  pull(): number {
    this.frameSamples = 0;
    const next = this.jitter.next(this.settings.expectedLoss > 0);
    if (!next || !this.decoder || this.settings.muted) return 0;
    const n = this.decoder.decode(next, this.frame);
    // Janus leaves packets marked silent (level 127) out of the mix; decoding them keeps the decoder's state
    if (next.kind === 'packet' && next.silent) return 0;
    this.frameSamples = n;
    if (this.audioLevelId === 0 && this.talk && n > 0 && this.talk.add(frameLevel(this.frame, n)))
      this.host.onTalking(this, this.talk.talking, this.talk.lastAverage);
    return n;
  }

  /** Encodes and sends one frame of what this participant hears. */
  hear(mix: Int16Array): void {
    const enc = this.encoder;
    if (!enc || !this.output.ready()) return;
    this.sendEncoded(enc.encode(mix));
  }

  /** Ticks in a row this participant's voice was not in the mix (muted, silent sender, prebuffering). */
  idleTicks = 0;

  /** Participants whose encoders are configured alike can share one (see Mixer). */
  get encoderKey(): string {
    const s = this.settings;
    return `${this.codec}/${s.bitrate}/${s.quality}/${s.expectedLoss}/${this.fec}`;
  }

  /** Sends an already encoded frame (the mixer's shared encoder) with this participant's SSRC, sequence and timestamp. */
  sendEncoded(payload: Buffer): void {
    this.output.send(payload, this.seq, this.timestamp >>> 0, this.sent === 0);
    this.lastSentTimestamp = this.timestamp >>> 0;
    this.lastSentAt = Date.now();
    this.counters.packetsOut++;
    this.counters.bytesOut += payload.length + 12;
    this.sent++;
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + (this.codec === 'opus' ? 960 : 160)) >>> 0;
  }

  /** Frees the decoder and encoder; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.decoder?.close();
    this.encoder?.close();
    this.decoder = undefined;
    this.encoder = undefined;
    mixerTotals.participants--;
  }
}
