import { createSocket, type Socket } from 'node:dgram';
import { MediaStreamTrack, RtpHeader, RtpPacket, type RTCPeerConnection } from 'werift';
import { g711Decode, g711Encode } from '../../../../relay/audiobridge/g711.js';
import { OpusDecoder, OpusEncoder } from '../../../../relay/audiobridge/opus.js';
import { createPeerConnection } from '../../../../relay/peer/factory.js';
import { connectedWithin, localAnswer, localOffer, opusPayloadType, remoteAnswer } from '../../support/negotiate.js';
import { PcmTail, ToneSource, toneAmplitude } from './goertzel.js';

const RATE = 48000;

/** What every test participant does: send a tone (or silence) every 20 ms, keep what it hears. */
abstract class Voice {
  readonly heard: PcmTail;
  packetsReceived = 0;
  /** Sends silence instead of its tone while set. */
  quiet = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    protected readonly tone: ToneSource | undefined,
    readonly rate: number,
  ) {
    this.heard = new PcmTail(rate); // the last second
  }

  protected abstract sendFrame(pcm: Int16Array): void;

  start(): void {
    if (this.timer) return;
    const silence = new Int16Array(this.rate / 50);
    this.timer = setInterval(() => this.sendFrame(this.tone && !this.quiet ? this.tone.frame() : silence), 20);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Amplitude of `freq` in the last `ms` of what was heard. */
  level(freq: number, ms = 400): number {
    return toneAmplitude(this.heard.last((this.rate * ms) / 1000), this.rate, freq);
  }
}

/** A werift PeerConnection sending Opus (48 kHz mono) and decoding what the mixer sends back. */
export class WebRtcVoice extends Voice {
  readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  private readonly encoder = new OpusEncoder(RATE, 1, { bitrate: 32000, complexity: 4, expectedLoss: 0 });
  private readonly decoder: OpusDecoder;
  private readonly pcm: Int16Array;
  /** Stereo: what was heard on the left and right channels (spatial rooms). */
  readonly left = new PcmTail(RATE);
  readonly right = new PcmTail(RATE);
  private readonly packet = Buffer.alloc(1500);
  private seq = Math.floor(Math.random() * 60000);
  private ts = Math.floor(Math.random() * 1e9);
  payloadType = 111;

  constructor(
    freq: number | undefined,
    amplitude = 8000,
    readonly channels: 1 | 2 = 1,
  ) {
    super(freq ? new ToneSource(RATE, freq, amplitude) : undefined, RATE);
    this.decoder = new OpusDecoder(RATE, channels);
    this.pcm = new Int16Array((RATE / 50) * channels);
    this.pc = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
    this.pc.onTransceiverAdded.subscribe((t) =>
      t.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe((rtp) => {
          this.packetsReceived++;
          const n = this.decoder.decode(rtp.payload, this.pcm);
          if (this.channels === 1) this.heard.push(this.pcm.subarray(0, n));
          else this.pushStereo(n);
        }),
      ),
    );
  }

  private pushStereo(n: number): void {
    const l = new Int16Array(n);
    const r = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      l[i] = this.pcm[2 * i]!;
      r[i] = this.pcm[2 * i + 1]!;
    }
    this.left.push(l);
    this.right.push(r);
    this.heard.push(l);
  }

  /** Amplitude of `freq` on one channel over the last `ms` (stereo clients). */
  channelLevel(side: 'left' | 'right', freq: number, ms = 400): number {
    return toneAmplitude(this[side].last((RATE * ms) / 1000), RATE, freq);
  }

  async offer(): Promise<string> {
    this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    return localOffer(this.pc);
  }

  async answer(offer: string): Promise<string> {
    this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    return localAnswer(this.pc, offer);
  }

  async accept(answer: string): Promise<void> {
    await remoteAnswer(this.pc, answer);
    this.payloadType = opusPayloadType(answer) ?? this.payloadType;
  }

  connected(timeoutMs = 10_000): Promise<void> {
    return connectedWithin(this.pc, timeoutMs);
  }

  protected sendFrame(pcm: Int16Array): void {
    const n = this.encoder.encode(pcm, this.packet);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 960) >>> 0;
    const header = new RtpHeader({
      payloadType: this.payloadType,
      sequenceNumber: this.seq,
      timestamp: this.ts,
      ssrc: 1,
    });
    this.track.writeRtp(new RtpPacket(header, Buffer.from(this.packet.subarray(0, n))));
  }

  async close(): Promise<void> {
    this.stop();
    await this.pc.close();
    this.encoder.close();
    this.decoder.close();
  }
}

/** A plain-RTP participant (a SIP gateway's leg, a voice bot): PCMU at 8 kHz, or Opus (payload type 100) at 48 kHz, over a UDP socket. */
export class PlainRtpVoice extends Voice {
  readonly socket: Socket = createSocket('udp4');
  private dest: { ip: string; port: number } | undefined;
  private seq = Math.floor(Math.random() * 60000);
  private ts = Math.floor(Math.random() * 1e9);
  private readonly pcm: Int16Array;
  private readonly pt: number;
  private readonly encoder: OpusEncoder | undefined;
  private readonly decoder: OpusDecoder | undefined;
  private readonly packet = Buffer.alloc(1500);
  /** Marks packets as digital silence (level 127) while still sending the tone. */
  markSilent = false;

  /**
   * `levelExtId`: packets carry the RFC 6464 audio level under this one-byte extension id (20 while
   * the tone plays, 127 = digital silence while {@link quiet}).
   */
  constructor(
    freq: number | undefined,
    amplitude = 8000,
    private readonly levelExtId = 0,
    readonly codec: 'pcmu' | 'opus' = 'pcmu',
  ) {
    const rate = codec === 'opus' ? RATE : 8000;
    super(freq ? new ToneSource(rate, freq, amplitude) : undefined, rate);
    this.pcm = new Int16Array(rate / 50);
    this.pt = codec === 'opus' ? 100 : 0;
    if (codec === 'opus') {
      this.encoder = new OpusEncoder(RATE, 1, { bitrate: 32000, complexity: 4, expectedLoss: 0 });
      this.decoder = new OpusDecoder(RATE);
    }
    this.socket.on('message', (msg) => {
      if (msg.length < 12 || (msg[1]! & 0x7f) !== this.pt) return;
      this.packetsReceived++;
      const n = this.decoder
        ? this.decoder.decode(msg.subarray(12), this.pcm)
        : g711Decode('pcmu', msg.subarray(12), this.pcm);
      this.heard.push(this.pcm.subarray(0, n));
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    return this.socket.address().port;
  }

  sendTo(ip: string, port: number): void {
    this.dest = { ip, port };
  }

  protected sendFrame(pcm: Int16Array): void {
    if (!this.dest) return;
    const ext = this.levelExtId ? 8 : 0;
    const body = this.encoder ? this.packet.subarray(0, this.encoder.encode(pcm, this.packet)) : undefined;
    const out = Buffer.alloc(12 + ext + (body ? body.length : pcm.length));
    out[0] = ext ? 0x90 : 0x80;
    if (ext) {
      out.writeUInt16BE(0xbede, 12);
      out.writeUInt16BE(1, 14);
      out[16] = this.levelExtId << 4; // one byte of data
      out[17] = this.quiet || this.markSilent ? 127 : 20;
    }
    out[1] = this.pt;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + (this.encoder ? 960 : 160)) >>> 0;
    out.writeUInt16BE(this.seq, 2);
    out.writeUInt32BE(this.ts, 4);
    out.writeUInt32BE(0x1234, 8);
    if (body) body.copy(out, 12 + ext);
    else g711Encode('pcmu', pcm, out.subarray(12 + ext));
    this.socket.send(out, this.dest.port, this.dest.ip);
  }

  async close(): Promise<void> {
    this.stop();
    await new Promise<void>((r) => this.socket.close(() => r()));
    this.encoder?.close();
    this.decoder?.close();
  }
}
