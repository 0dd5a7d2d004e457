/**
 * The werift floor's server (run by bench/connect/weriftFloor.ts in a process of its own, as the
 * relay runs): a bare werift PeerConnection per call, made as the relay makes its own
 * (`createPeerConnection`, with the relay's werift patches), that answers the client's offer and
 * echoes each track's RTP back through werift's own sender. No Janus API, no relay protocol, no SFU:
 * what a call costs werift itself. Talks to its parent over the IPC channel.
 */
import type { RTCPeerConnection } from 'werift';
import { createPeerConnection } from '../../relay/peer/factory.js';
import { disableDefaultStun, hardenDtls } from '../../relay/peer/werift.js';

export type FloorRequest = { id: number; offer: string } | { id: number; close: true };
export type FloorReply = { id: number; answer?: string; closed?: true; error?: string };

const peers = new Map<number, RTCPeerConnection>();

async function answer(id: number, offer: string): Promise<string> {
  const pc = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
  peers.set(id, pc);
  pc.onTransceiverAdded.subscribe((t) => {
    t.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => void t.sender.sendRtp(rtp)));
  });
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  for (const t of pc.getTransceivers()) t.setDirection('sendrecv');
  const local = await pc.createAnswer();
  disableDefaultStun(pc);
  await pc.setLocalDescription(local);
  hardenDtls(pc);
  return pc.localDescription!.sdp;
}

function reply(r: FloorReply): void {
  process.send?.(r);
}

process.on('message', (m: FloorRequest) => {
  if ('offer' in m) {
    answer(m.id, m.offer).then(
      (sdp) => reply({ id: m.id, answer: sdp }),
      (err: unknown) => reply({ id: m.id, error: String(err) }),
    );
    return;
  }
  const pc = peers.get(m.id);
  peers.delete(m.id);
  void (pc ? pc.close() : Promise.resolve()).then(() => reply({ id: m.id, closed: true }));
});
process.on('disconnect', () => process.exit(0));
