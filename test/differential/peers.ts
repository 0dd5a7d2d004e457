/**
 * Real werift PeerConnections for the differential harness: a script step can put an offer made by
 * one of them in its `jsep`, or answer the offer a server sent (subscribers). One set per script run,
 * keyed by name (the step's connection unless it names another), all closed when the script ends.
 */
import { MediaStreamTrack, RTCRtpCodecParameters, type RTCPeerConnection } from 'werift';
import { createPeerConnection, relayMedia, type PeerMedia } from '../../relay/peer/factory.js';
import { disableDefaultStun, hardenDtls } from '../../relay/peer/werift.js';

export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

/** What an offering step's PeerConnection sends. */
export interface OfferSpec {
  /** Which PeerConnection (default: the step's connection). */
  pc?: string;
  audio?: boolean;
  video?: boolean;
  /** Close the PeerConnection of that name first and offer from a new one (publish after unpublish). */
  fresh?: boolean;
  /** Offer the codecs a browser offers (Opus with in-band FEC, several H.264 and VP9 profiles), not the relay's. */
  browser?: boolean;
}

const feedback = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }];
const h264 = (profile: string, mode: number) =>
  new RTCRtpCodecParameters({
    mimeType: 'video/H264',
    clockRate: 90000,
    rtcpFeedback: feedback,
    parameters: `level-asymmetry-allowed=1;packetization-mode=${mode};profile-level-id=${profile}`,
  });
const vp9 = (profile: number) =>
  new RTCRtpCodecParameters({
    mimeType: 'video/VP9',
    clockRate: 90000,
    rtcpFeedback: feedback,
    parameters: `profile-id=${profile}`,
  });

/** What Chromium offers, in its order (its payload types aside): the formats Janus reports per stream. */
const browserMedia: PeerMedia = {
  codecs: {
    audio: [
      new RTCRtpCodecParameters({
        mimeType: 'audio/opus',
        clockRate: 48000,
        channels: 2,
        parameters: 'minptime=10;useinbandfec=1',
      }),
    ],
    video: [
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: feedback }),
      h264('42001f', 1),
      h264('42001f', 0),
      h264('42e01f', 1),
      h264('42e01f', 0),
      vp9(0),
      vp9(2),
    ],
  },
  headerExtensions: relayMedia.headerExtensions,
};

/** A trickle candidate as a client sends it. */
export interface Candidate {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
}

export class Peers {
  private readonly pcs = new Map<string, RTCPeerConnection>();

  /** `address`: where the clients bind and what they announce (the reference wants a non-loopback IP). */
  constructor(private readonly address: string) {}

  private open(key: string, browser = false): RTCPeerConnection {
    let pc = this.pcs.get(key);
    if (!pc) {
      const net = { bindAddress: this.address, announcedAddress: this.address };
      pc = createPeerConnection(net, browser ? browserMedia : relayMedia);
      this.pcs.set(key, pc);
    }
    return pc;
  }

  /** An offer (with its host candidates) from `key`, adding the transceivers the spec asks for. */
  async offer(key: string, spec: OfferSpec): Promise<Jsep> {
    if (spec.fresh) await this.close(key);
    const pc = this.open(key, spec.browser);
    const has = (kind: string) => pc.getTransceivers().some((t) => t.kind === kind);
    for (const kind of ['audio', 'video'] as const) {
      if (spec[kind] && !has(kind)) pc.addTransceiver(new MediaStreamTrack({ kind }), { direction: 'sendrecv' });
    }
    const offer = await pc.createOffer();
    disableDefaultStun(pc);
    await pc.setLocalDescription(offer);
    hardenDtls(pc);
    return { type: 'offer', sdp: pc.localDescription!.sdp };
  }

  /** Applies a server's answer to the offer `key` made (ignored when `key` has no offer pending). */
  async applyAnswer(key: string, sdp: string): Promise<void> {
    const pc = this.pcs.get(key);
    if (!pc || pc.signalingState !== 'have-local-offer') return;
    await pc.setRemoteDescription({ type: 'answer', sdp });
    hardenDtls(pc);
  }

  /** Answers a server's offer from `key` (created on first use; a later offer renegotiates). */
  async answer(key: string, sdp: string): Promise<Jsep> {
    const pc = this.open(key);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    disableDefaultStun(pc);
    await pc.setLocalDescription(answer);
    hardenDtls(pc);
    return { type: 'answer', sdp: pc.localDescription!.sdp };
  }

  /** The first host candidate of `key`'s local description, as a trickle would carry it. */
  candidate(key: string): Candidate | undefined {
    const sdp = this.pcs.get(key)?.localDescription?.sdp;
    if (!sdp) return undefined;
    const mid = /^a=mid:(\S+)/m.exec(sdp)?.[1] ?? '0';
    const line = /^a=(candidate:.+)$/m.exec(sdp)?.[1];
    return line ? { candidate: line.trim(), sdpMid: mid, sdpMLineIndex: 0 } : undefined;
  }

  async close(key: string): Promise<void> {
    const pc = this.pcs.get(key);
    this.pcs.delete(key);
    await pc?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.pcs.keys()].map((k) => this.close(k)));
  }
}
