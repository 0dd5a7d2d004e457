/** A werift viewer of a VP9 (SVC) mountpoint, recording every video packet with what the test sender sent. */
import { expect } from 'vitest';
import { RTCRtpCodecParameters, type RtpPacket } from 'werift';
import { createPeerConnection, relayMedia } from '../../../relay/peer/factory.js';
import { EchoClient } from '../../relay/support/client.js';
import type { Stack } from '../../support/stack.js';
import { StreamingHandle } from './viewer.js';
import { packetNumber, type SentPacket, type Vp9SvcSender } from './vp9Svc.js';

const vp9 = new RTCRtpCodecParameters({
  mimeType: 'video/VP9',
  clockRate: 90000,
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
});

export interface Received {
  seq: number;
  marker: boolean;
  payload: Buffer;
  /** What the test sender sent (undefined for another sender). */
  sent: SentPacket;
}

/** A werift viewer that takes VP9: watch, answer with start, wait for `started`; records every video packet. */
export async function watchVp9(stack: Stack, id: number, sender?: Vp9SvcSender, region?: string) {
  const h = await StreamingHandle.connect(stack, region);
  const ev = await h.ask({ request: 'watch', id });
  expect(ev.jsep?.type, JSON.stringify(ev)).toBe('offer');
  const client = new EchoClient(
    createPeerConnection(
      { bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' },
      { codecs: { audio: relayMedia.codecs.audio, video: [vp9] }, headerExtensions: relayMedia.headerExtensions },
    ),
  );
  const got: Received[] = [];
  client.pc.onTransceiverAdded.subscribe((t) =>
    t.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp: RtpPacket) =>
        got.push({
          seq: rtp.header.sequenceNumber,
          marker: rtp.header.marker,
          payload: rtp.payload,
          sent: sender?.sent[packetNumber(rtp.payload)] as SentPacket,
        }),
      ),
    ),
  );
  const answer = await client.acceptOffer(ev.jsep.sdp);
  await h.ask({ request: 'start' }, { type: 'answer', sdp: answer });
  await h.waitData((d) => d.result?.status === 'started', 'started', 15_000);
  return { h, client, got };
}

/** Consecutive (mod 2^16) outgoing sequence numbers: the viewer sees no hole. */
export function contiguous(r: Received[]): boolean {
  return r.every((p, i) => i === 0 || p.seq === ((r[i - 1]!.seq + 1) & 0xffff));
}
