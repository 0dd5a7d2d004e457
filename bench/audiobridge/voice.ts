/**
 * A lean AudioBridge participant for the benchmark: a werift PeerConnection sending Opus (48 kHz
 * mono) every 20 ms from frames encoded once (silence, or a tone looped over one second, which an
 * integer frequency makes phase continuous), so that fifty of them cost the client little. Only a
 * listener decodes what it hears, to time tone onsets.
 */
import { MediaStreamTrack, RtpHeader, RtpPacket, type RTCPeerConnection } from 'werift';
import { OpusDecoder, OpusEncoder } from '../../relay/audiobridge/opus.js';
import { createPeerConnection } from '../../relay/peer/factory.js';
import { toneAmplitude, ToneSource } from '../../test/relay/audiobridge/support/goertzel.js';
import { connectedWithin, localOffer, opusPayloadType, remoteAnswer } from '../../test/relay/support/negotiate.js';
import { iceOn } from '../../test/support/referenceNet.js';

const RATE = 48000;
const FRAME = RATE / 50;
/** The prober's tone; a listener hears it when its frequency reaches an eighth of this. */
export const PROBE_AMPLITUDE = 8000;

/** One second of a tone (or silence) as Opus packets, encoded once per frequency and amplitude. */
const encoded = new Map<string, Buffer[]>();
export function opusLoop(freq: number, amplitude: number): Buffer[] {
  const key = `${freq}:${amplitude}`;
  let frames = encoded.get(key);
  if (frames) return frames;
  const encoder = new OpusEncoder(RATE, 1, { bitrate: 32000, complexity: 4, expectedLoss: 0 });
  const tone = freq > 0 ? new ToneSource(RATE, freq, amplitude) : undefined;
  const out = Buffer.alloc(1500);
  frames = [];
  for (let i = 0; i < 50; i++) {
    const n = encoder.encode(tone ? tone.frame() : new Int16Array(FRAME), out);
    frames.push(Buffer.from(out.subarray(0, n)));
  }
  encoder.close();
  encoded.set(key, frames);
  return frames;
}

export class BenchVoice {
  readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  private seq = Math.floor(Math.random() * 60000);
  private ts = Math.floor(Math.random() * 1e9);
  private frame = 0;
  private payloadType = 111;
  /** What it sends now: a tone's frequency, or 0 for silence. */
  freq = 0;
  /** Its tone's amplitude (talkers together must not clip the mix, or the prober's tone is lost). */
  amplitude = PROBE_AMPLITUDE;
  packetsReceived = 0;
  private listener?: { decoder: OpusDecoder; pcm: Int16Array; freq: number; heard: boolean; quiet: number };
  /** Listeners: arrival times (performance.now()) of the onsets of `freq` in what was heard. */
  readonly onsets: number[] = [];

  constructor(clientAddress?: string) {
    this.pc = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
    if (clientAddress) iceOn(this.pc, clientAddress);
    this.pc.onTransceiverAdded.subscribe((t) =>
      t.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe((rtp) => {
          this.packetsReceived++;
          if (this.listener) this.listen(rtp.payload);
        }),
      ),
    );
  }

  /** Decodes what it hears from now on and notes when `freq` starts. */
  listenFor(freq: number): void {
    this.listener = { decoder: new OpusDecoder(RATE, 1), pcm: new Int16Array(FRAME * 6), freq, heard: false, quiet: 0 };
  }

  private listen(payload: Buffer): void {
    const l = this.listener!;
    const at = performance.now();
    const n = l.decoder.decode(payload, l.pcm);
    const level = toneAmplitude(l.pcm.subarray(0, n), RATE, l.freq);
    if (level > PROBE_AMPLITUDE / 8) {
      if (!l.heard) this.onsets.push(at);
      l.heard = true;
      l.quiet = 0;
    } else if (++l.quiet >= 5) l.heard = false;
  }

  async offer(): Promise<string> {
    this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    return localOffer(this.pc);
  }

  async accept(answer: string): Promise<void> {
    await remoteAnswer(this.pc, answer);
    this.payloadType = opusPayloadType(answer) ?? this.payloadType;
  }

  connected(timeoutMs: number): Promise<void> {
    return connectedWithin(this.pc, timeoutMs);
  }

  /** Sends the next 20 ms frame of what it sends now (`freq`). */
  send(): void {
    const loop = opusLoop(this.freq, this.amplitude);
    const payload = loop[this.frame++ % loop.length]!;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + FRAME) >>> 0;
    const header = new RtpHeader({
      payloadType: this.payloadType,
      sequenceNumber: this.seq,
      timestamp: this.ts,
      ssrc: 1,
    });
    this.track.writeRtp(new RtpPacket(header, payload));
  }

  async close(): Promise<void> {
    await this.pc.close().catch(() => undefined);
    this.listener?.decoder.close();
  }
}
