import {
  MediaStreamTrack,
  RtpHeader,
  RtpPacket,
  type RTCDataChannel,
  RTCPeerConnection,
  type RTCRtpTransceiver,
} from 'werift';
import { createPeerConnection, type PeerNetwork } from '../../../relay/peer/factory.js';
import { disableDefaultStun, hardenDtls } from '../../../relay/peer/werift.js';

/**
 * A werift PeerConnection playing the browser: sends tagged RTP on audio/video, records what comes
 * back, optionally opens a data channel. Real ICE/DTLS/SRTP over loopback UDP.
 */
export class EchoClient {
  readonly pc: RTCPeerConnection;
  readonly sentTags = { audio: new Set<number>(), video: new Set<number>() };
  readonly echoedTags = { audio: new Set<number>(), video: new Set<number>() };
  readonly received = { audio: 0, video: 0 };
  readonly receivedByMid = new Map<string, number>();
  readonly candidates: Array<{ candidate: string; sdpMid: string | null; sdpMLineIndex: number }> = [];
  readonly dataReceived: string[] = [];
  channel: RTCDataChannel | undefined;
  private readonly tracks = new Map<
    string,
    { track: MediaStreamTrack; kind: 'audio' | 'video'; seq: number; ts: number; timer?: NodeJS.Timeout }
  >();
  private tag = 1;

  /**
   * `from`: a PeerConnection made otherwise (IPv6-only, ICE-TCP clients), or where the client's ICE
   * lives (a TURN server to relay through, for one); default: the relay's own kind on 127.0.0.1.
   */
  constructor(from: RTCPeerConnection | PeerNetwork = { bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' }) {
    this.pc = from instanceof RTCPeerConnection ? from : createPeerConnection(from);
    this.pc.onIceCandidate.subscribe((c) => {
      if (!c) return;
      const j = c.toJSON();
      this.candidates.push({
        candidate: j.candidate ?? '',
        sdpMid: j.sdpMid ?? null,
        sdpMLineIndex: j.sdpMLineIndex ?? 0,
      });
    });
    this.pc.onTransceiverAdded.subscribe((t) => this.hookTransceiver(t));
  }

  private hookTransceiver(t: RTCRtpTransceiver): void {
    t.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const kind = track.kind as 'audio' | 'video';
        this.received[kind]++;
        if (t.mid) this.receivedByMid.set(t.mid, (this.receivedByMid.get(t.mid) ?? 0) + 1);
        if (rtp.payload.length >= 5 && rtp.payload[0] === 0x7e) this.echoedTags[kind].add(rtp.payload.readUInt32BE(1));
      });
    });
  }

  /** Adds a sendrecv transceiver fed by {@link send}. Returns its key. */
  addMedia(kind: 'audio' | 'video'): string {
    const track = new MediaStreamTrack({ kind });
    this.pc.addTransceiver(track, { direction: 'sendrecv' });
    const key = `${kind}${this.tracks.size}`;
    this.tracks.set(key, { track, kind, seq: Math.floor(Math.random() * 60000), ts: Math.floor(Math.random() * 1e9) });
    return key;
  }

  addDataChannel(): RTCDataChannel {
    const dc = this.pc.createDataChannel('echo');
    dc.onMessage.subscribe((m) => this.dataReceived.push(m.toString()));
    this.channel = dc;
    return dc;
  }

  async createOffer(withCandidates = true): Promise<string> {
    const offer = await this.pc.createOffer();
    disableDefaultStun(this.pc);
    await this.pc.setLocalDescription(offer);
    hardenDtls(this.pc);
    if (!withCandidates) return offer.sdp;
    return this.pc.localDescription!.sdp;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    hardenDtls(this.pc);
  }

  async acceptOffer(sdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    for (const t of this.pc.getTransceivers()) t.setDirection('sendrecv');
    const answer = await this.pc.createAnswer();
    disableDefaultStun(this.pc);
    await this.pc.setLocalDescription(answer);
    hardenDtls(this.pc);
    return this.pc.localDescription!.sdp;
  }

  async connected(timeoutMs = 10_000): Promise<void> {
    if (this.pc.connectionState === 'connected') return;
    await this.pc.connectionStateChange.watch((s) => s === 'connected', timeoutMs);
  }

  /** Sends one tagged packet on `key` (after `skip` lost sequence numbers); returns the tag. */
  sendOne(key: string, skip = 0): number {
    const t = this.tracks.get(key)!;
    const tag = this.tag++;
    const payload = Buffer.alloc(t.kind === 'video' ? 200 : 60, 0xaa);
    payload[0] = 0x7e;
    payload.writeUInt32BE(tag, 1);
    t.seq = (t.seq + 1 + skip) & 0xffff;
    t.ts = (t.ts + (t.kind === 'video' ? 3000 : 960)) >>> 0;
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: t.seq, timestamp: t.ts, ssrc: 1, marker: true });
    t.track.writeRtp(new RtpPacket(header, payload));
    this.sentTags[t.kind].add(tag);
    return tag;
  }

  startSending(key: string, intervalMs = 20): void {
    const t = this.tracks.get(key)!;
    if (t.timer) return;
    t.timer = setInterval(() => this.sendOne(key), intervalMs);
  }

  stopSending(key: string): void {
    const t = this.tracks.get(key)!;
    if (t.timer) clearInterval(t.timer);
    t.timer = undefined;
  }

  async close(): Promise<void> {
    for (const key of this.tracks.keys()) this.stopSending(key);
    await this.pc.close();
  }
}

export async function waitFor<T>(
  pred: () => T | undefined | false | null,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
