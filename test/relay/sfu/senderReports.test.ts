import { beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../../relay/relay.js';
import { senderQuality } from '../../../relay/peer/werift.js';
import { SfuSubscriber } from '../../../relay/sfu/subscriber.js';
import type { RelayLink } from '../support/edge.js';
import { relayFixture } from '../support/relayFixture.js';
import { PubClient, publish, sleep, SubClient, subscribe } from './support.js';

/**
 * The SFU sends its legs' RTCP sender reports itself (relay/sfu/wire.ts `senderReport`, SRTCP from
 * relay/srtp): a werift subscriber decrypts them every second with the leg's SSRC, the packet and
 * octet counts of what it was sent, and its CNAME; the relay's sender learns the round-trip time
 * from the subscriber's receiver reports.
 */
const SESSION = 7300;

const fx = relayFixture([43800, 43899]);
let relay: Relay;
let link: RelayLink;
beforeAll(() => void ({ relay, link } = fx));
const cleanup = fx.cleanup;

async function waitForRtt(sender: Parameters<typeof senderQuality>[0]): Promise<void> {
  for (let i = 0; i < 40 && (sender as unknown as { rtt?: number }).rtt === undefined; i++) await sleep(100);
  expect((sender as unknown as { rtt?: number }).rtt).toBeGreaterThanOrEqual(0);
  expect(senderQuality(sender).rttMs).toBeLessThan(1000);
}

interface ReceiverSrState {
  senderReportsReceivedBySsrc: Record<number, number>;
  remotePacketCountBySsrc: Record<number, number>;
  remoteOctetCountBySsrc: Record<number, number>;
}

describe('sender reports on subscriber legs', () => {
  it('arrive every second, decrypted, with the leg’s SSRC, counts and CNAME; the relay measures the RTT', async () => {
    const pub = new PubClient(1, { audio: false });
    cleanup.push(() => pub.close());
    const p = await publish(link, SESSION, pub, { videocodec: 'vp8' });
    const vmid = p.streams.find((s) => s.type === 'video')!.mid;
    const sub = new SubClient();
    cleanup.push(() => sub.close());
    const cnames: string[] = [];
    let rtp = 0;
    let rtpBytes = 0;
    sub.pc.onTransceiverAdded.subscribe((t) => {
      t.onTrack.subscribe((tr) =>
        tr.onReceiveRtp.subscribe((r) => {
          rtp++;
          rtpBytes += r.payload.length;
        }),
      );
    });
    await subscribe(link, SESSION, sub, [{ feedId: 1, feedKey: p.key, feedMid: vmid, type: 'video' }]);
    // werift's router drops SDES: read it where the transport decrypts RTCP
    sub.pc.dtlsTransports[0]!.onRtcp.subscribe((packet) => {
      const sdes = packet as unknown as { type: number; chunks?: Array<{ items: Array<{ text: string }> }> };
      if (sdes.type === 202) for (const c of sdes.chunks ?? []) for (const i of c.items) cnames.push(i.text);
    });
    pub.start(100);
    await sleep(3500);
    pub.stop();
    await sleep(300);
    const t = sub.pc.getTransceivers().find((x) => x.kind === 'video')!;
    const r = t.receiver as unknown as ReceiverSrState;
    const ssrcs = Object.keys(r.senderReportsReceivedBySsrc).map(Number);
    expect(ssrcs).toHaveLength(1);
    const ssrc = ssrcs[0]!;
    expect(r.senderReportsReceivedBySsrc[ssrc]).toBeGreaterThanOrEqual(2);
    // the last report counted what had been sent by then: at most what arrived, at least a second's less
    expect(r.remotePacketCountBySsrc[ssrc]).toBeLessThanOrEqual(rtp);
    expect(r.remotePacketCountBySsrc[ssrc]).toBeGreaterThanOrEqual(rtp - 150);
    expect(r.remoteOctetCountBySsrc[ssrc]).toBeLessThanOrEqual(rtpBytes);
    expect(cnames.length).toBeGreaterThanOrEqual(2);
    expect(cnames[0]!.length).toBeGreaterThan(0);
    // the subscriber's receiver reports echo the last report: the relay's sender has an RTT
    const leg = [...relay.registry.values()].find((x): x is SfuSubscriber => x instanceof SfuSubscriber)!.legs[0]!;
    expect(leg.ssrc).toBe(ssrc);
    await waitForRtt(leg.transceiver.sender);
  });
});
