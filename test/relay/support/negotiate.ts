/**
 * Offer/answer on a test client's werift PeerConnection, hardened as the relay hardens its own (no
 * default STUN server, the relay's DTLS settings), and waiting for it to connect.
 */
import type { RTCPeerConnection } from 'werift';
import { disableDefaultStun, hardenDtls } from '../../../relay/peer/werift.js';

/** Creates and applies the local offer: its SDP. */
export async function localOffer(pc: RTCPeerConnection): Promise<string> {
  const offer = await pc.createOffer();
  disableDefaultStun(pc);
  await pc.setLocalDescription(offer);
  hardenDtls(pc);
  return pc.localDescription!.sdp;
}

/** Applies the remote `offer`, then creates and applies the local answer: its SDP. */
export async function localAnswer(pc: RTCPeerConnection, offer: string): Promise<string> {
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  const answer = await pc.createAnswer();
  disableDefaultStun(pc);
  await pc.setLocalDescription(answer);
  hardenDtls(pc);
  return pc.localDescription!.sdp;
}

/** Applies the remote `answer`. */
export async function remoteAnswer(pc: RTCPeerConnection, answer: string): Promise<void> {
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  hardenDtls(pc);
}

/** Resolves once `pc` is connected (at once if it is), rejects after `timeoutMs`. */
export async function connectedWithin(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.connectionState === 'connected') return;
  await pc.connectionStateChange.watch((s) => s === 'connected', timeoutMs);
}

/** The Opus payload type an SDP names, or undefined. */
export function opusPayloadType(sdp: string): number | undefined {
  const m = /a=rtpmap:(\d+) opus\/48000/i.exec(sdp);
  return m ? Number(m[1]) : undefined;
}
