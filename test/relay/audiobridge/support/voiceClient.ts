import { createSocket, type Socket } from 'node:dgram';
import { MediaStreamTrack, RtpHeader, RtpPacket, type RTCPeerConnection } from 'werift';
import { g711Decode, g711Encode } from '../../../../relay/audiobridge/g711.js';
import { OpusDecoder, OpusEncoder } from '../../../../relay/audiobridge/opus.js';
import { createPeerConnection } from '../../../../relay/peer/factory.js';
import { disableDefaultStun, hardenDtls } from '../../../../relay/peer/werift.js';
import { PcmTail, ToneSource, toneAmplitude } from './goertzel.js';

const RATE = 48000;

/** What every test participant does: send a tone (or silence) every 20 ms, keep what it hears. */
abstract class Voice {
  readonly heard: PcmTail;
  packetsReceived = 0;
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
    this.timer = setInterval(() => this.sendFrame(this.tone ? this.tone.frame() : silence), 20);
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
  private readonly decoder = new OpusDecoder(RATE);
  private readonly pcm = new Int16Array(RATE / 50);
  private readonly packet = Buffer.alloc(1500);
  private seq = Math.floor(Math.random() * 60000);
  private ts = Math.floor(Math.random() * 1e9);
  payloadType = 111;

  constructor(freq: number | undefined, amplitude = 8000) {
    super(freq ? new ToneSource(RATE, freq, amplitude) : undefined, RATE);
    this.pc = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
    this.pc.onTransceiverAdded.subscribe((t) =>
      t.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe((rtp) => {
          this.packetsReceived++;
          const n = this.decoder.decode(rtp.payload, this.pcm);
          this.heard.push(this.pcm.subarray(0, n));
        }),
      ),
    );
  }

  async offer(): Promise<string> {
    this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    const offer = await this.pc.createOffer();
    disableDefaultStun(this.pc);
    await this.pc.setLocalDescription(offer);
    hardenDtls(this.pc);
    return this.pc.localDescription!.sdp;
  }

  async answer(offer: string): Promise<string> {
    this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const answer = await this.pc.createAnswer();
    disableDefaultStun(this.pc);
    await this.pc.setLocalDescription(answer);
    hardenDtls(this.pc);
    return this.pc.localDescription!.sdp;
  }

  async accept(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    hardenDtls(this.pc);
    const m = /a=rtpmap:(\d+) opus\/48000/i.exec(answer);
    if (m) this.payloadType = Number(m[1]);
  }

  async connected(timeoutMs = 10_000): Promise<void> {
    if (this.pc.connectionState === 'connected') return;
    await this.pc.connectionStateChange.watch((s) => s === 'connected', timeoutMs);
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

/** A plain-RTP participant (a SIP gateway's leg): PCMU at 8 kHz over a UDP socket. */
export class PlainRtpVoice extends Voice {
  readonly socket: Socket = createSocket('udp4');
  private dest: { ip: string; port: number } | undefined;
  private seq = Math.floor(Math.random() * 60000);
  private ts = Math.floor(Math.random() * 1e9);
  private readonly pcm = new Int16Array(160);

  constructor(freq: number | undefined, amplitude = 8000) {
    super(freq ? new ToneSource(8000, freq, amplitude) : undefined, 8000);
    this.socket.on('message', (msg) => {
      if (msg.length < 12 || (msg[1]! & 0x7f) !== 0) return;
      this.packetsReceived++;
      const n = g711Decode('pcmu', msg.subarray(12), this.pcm);
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
    const out = Buffer.alloc(12 + pcm.length);
    out[0] = 0x80;
    out[1] = 0;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 160) >>> 0;
    out.writeUInt16BE(this.seq, 2);
    out.writeUInt32BE(this.ts, 4);
    out.writeUInt32BE(0x1234, 8);
    g711Encode('pcmu', pcm, out.subarray(12));
    this.socket.send(out, this.dest.port, this.dest.ip);
  }

  async close(): Promise<void> {
    this.stop();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}
