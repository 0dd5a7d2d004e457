import type { RTCPeerConnection } from 'werift';
import { createPeerConnection } from '../../relay/peer/factory.js';
import { disableDefaultStun, hardenDtls } from '../../relay/peer/werift.js';

/** A werift viewer: answers the relay's offer and notes every packet it gets, with its arrival time. */
export class Viewer {
  readonly pc: RTCPeerConnection;
  readonly got: Record<'audio' | 'video', Array<{ seq: number; ts: number; pt: number; at: number; bytes: number }>> = {
    audio: [],
    video: [],
  };
  /** `address`: where it binds and what it announces (the reference Janus wants a non-loopback one). */
  constructor(address = '127.0.0.1') {
    this.pc = createPeerConnection({ bindAddress: address, announcedAddress: address });
    this.pc.onTransceiverAdded.subscribe((t) =>
      t.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe((rtp) =>
          this.got[track.kind as 'audio' | 'video'].push({
            seq: rtp.header.sequenceNumber,
            ts: rtp.header.timestamp,
            pt: rtp.header.payloadType,
            at: performance.now(),
            bytes: rtp.payload.length,
          }),
        ),
      ),
    );
  }
  async answer(sdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.pc.createAnswer();
    disableDefaultStun(this.pc);
    await this.pc.setLocalDescription(answer);
    hardenDtls(this.pc);
    return this.pc.localDescription!.sdp;
  }
}
