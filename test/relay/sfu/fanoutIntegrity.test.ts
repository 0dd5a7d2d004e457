import { beforeAll, describe, expect, it } from 'vitest';
import type { RTCDtlsTransport, RtpHeader } from 'werift';
import type { Relay } from '../../../relay/relay.js';
import { preferSrtpProfiles } from '../../../relay/peer/werift.js';
import { SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80 } from '../../../relay/srtp/profile.js';
import type { RelayLink } from '../support/edge.js';
import { relayFixture } from '../support/relayFixture.js';
import { SeqCounter } from './seqCounter.js';
import { PubClient, publish, sleep, SubClient, subscribe } from './support.js';

/**
 * The fan-out's integrity, per subscriber: one publisher, N real werift subscribers over UDP, each
 * subscriber's packets counted by sequence number (no duplicate, no hole, none missing) and every
 * payload compared with the bytes the publisher sent. Subscribers negotiate the relay's preferred
 * AES_CM_128_HMAC_SHA1_80, or AEAD_AES_128_GCM when that is all they accept, so both profiles of
 * the relay's SRTP send path (relay/srtp, relay/sfu/srtpOutput.ts) are decrypted by werift. The
 * relay protects with libcrypto and sends every datagram with a direct syscall (its /metrics say so).
 */
const SESSION = 7200;
const SUBSCRIBERS = 12;
const PPS = 150;

const fx = relayFixture([43700, 43799]);
let relay: Relay;
let link: RelayLink;
beforeAll(() => void ({ relay, link } = fx));
const track = fx.track.bind(fx);

/** The test publisher's video payload carries its packet counter at byte 5 (see PubClient.sendVideo). */
const counterOf = (payload: Buffer) => payload.readUInt32BE(5);

interface Received {
  seqs: SeqCounter;
  /** Payloads that differ from what the publisher sent with the same counter. */
  altered: number;
  counters: Set<number>;
}

describe('fan-out integrity per subscriber', () => {
  it.each([
    ['AES_CM_128_HMAC_SHA1_80 (the relay prefers it)', [SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80], 1],
    ['AEAD_AES_128_GCM (all the subscribers accept)', [SRTP_AEAD_AES_128_GCM], 7],
  ])(
    `${SUBSCRIBERS} subscribers, %s: each gets every packet once, byte for byte`,
    async (_name, subscriberProfiles, negotiated) => {
      const pub = track(new PubClient(1, { audio: false }));
      const p = await publish(link, SESSION, pub, { videocodec: 'vp8' });
      const vmid = p.streams.find((s) => s.type === 'video')!.mid;
      // what the publisher sends, by its counter
      const sent = new Map<number, Buffer>();
      const pubDtls = pub.pc.dtlsTransports[0]!;
      const sendRtp = pubDtls.sendRtp.bind(pubDtls);
      pubDtls.sendRtp = (payload: Buffer, header: RtpHeader) => {
        sent.set(counterOf(payload), Buffer.from(payload));
        return sendRtp(payload, header);
      };

      const received: Received[] = [];
      const subs: SubClient[] = [];
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const sub = track(new SubClient());
        const r: Received = { seqs: new SeqCounter(), altered: 0, counters: new Set() };
        received.push(r);
        subs.push(sub);
        sub.pc.onTransceiverAdded.subscribe((t) =>
          t.onTrack.subscribe((tr) =>
            tr.onReceiveRtp.subscribe((rtp) => {
              r.seqs.add(rtp.header.sequenceNumber);
              const c = counterOf(rtp.payload);
              r.counters.add(c);
              if (!sent.get(c)?.equals(rtp.payload)) r.altered++;
            }),
          ),
        );
        // the subscriber's DTLS client offers only these (werift creates the transport on the offer)
        const answer = sub.answer.bind(sub);
        sub.answer = async (offer: string) => {
          await sub.pc.setRemoteDescription({ type: 'offer', sdp: offer });
          for (const d of sub.pc.dtlsTransports) preferSrtpProfiles(d as RTCDtlsTransport, subscriberProfiles);
          return answer(offer);
        };
        await subscribe(link, SESSION, sub, [{ feedId: 1, feedKey: p.key, feedMid: vmid, type: 'video' }]);
      }
      for (const sub of subs) {
        const srtp = (sub.pc.dtlsTransports[0] as unknown as { srtp: { config: { profile: number } } }).srtp;
        expect(srtp.config.profile).toBe(negotiated);
      }

      const before = relay.snapshot().mediaPath!;
      pub.start(PPS);
      await sleep(3000);
      pub.stop();
      await sleep(500);

      expect(sent.size).toBeGreaterThan(PPS * 2);
      const perSubscriber = received.map((r) => ({
        duplicates: r.seqs.duplicates,
        holes: r.seqs.holes,
        missing: sent.size - r.counters.size,
        altered: r.altered,
      }));
      expect(perSubscriber).toEqual(received.map(() => ({ duplicates: 0, holes: 0, missing: 0, altered: 0 })));
      expect(received.every((r) => r.seqs.distinct === sent.size)).toBe(true);
      const after = relay.snapshot().mediaPath!;
      expect({ srtp: after.srtp, udp: after.udp }).toEqual({ srtp: 'libcrypto', udp: 'sendto' });
      expect(after.sends.direct - before.sends.direct).toBeGreaterThanOrEqual(sent.size * SUBSCRIBERS);
      expect(after.sends.viaDgram - before.sends.viaDgram).toBe(0);
      expect(after.sends.dropped).toBe(0);
    },
  );
});
