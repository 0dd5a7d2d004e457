/**
 * Real werift PeerConnections for the differential harness: a script step can put an offer made by
 * one of them in its `jsep`, or answer the offer a server sent (subscribers). One set per script run,
 * keyed by name (the step's connection unless it names another), all closed when the script ends.
 */
import { MediaStreamTrack, type RTCPeerConnection } from 'werift';
import { createPeerConnection } from '../../relay/peer/factory.js';
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
}

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

  private open(key: string): RTCPeerConnection {
    let pc = this.pcs.get(key);
    if (!pc) {
      pc = createPeerConnection({ bindAddress: this.address, announcedAddress: this.address });
      this.pcs.set(key, pc);
    }
    return pc;
  }

  /** An offer (with its host candidates) from `key`, adding the transceivers the spec asks for. */
  async offer(key: string, spec: OfferSpec): Promise<Jsep> {
    if (spec.fresh) await this.close(key);
    const pc = this.open(key);
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
