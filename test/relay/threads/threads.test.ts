import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RtpHeader } from 'werift';
import { spawnedRelayFixture, type RelayResources } from '../support/spawnedRelayFixture.js';
import { SeqCounter } from '../sfu/seqCounter.js';
import { PubClient, publish, sleep, SubClient, subscribe } from '../sfu/support.js';

/**
 * RELAY_WORKER_THREADS=2, on the relay as `npm start` runs it: VideoRoom subscribers are spread over
 * two relay threads (their ICE/DTLS/SRTP and sockets live there), the publisher stays on the main
 * thread. Real werift peers over UDP; packets counted per subscriber by sequence number. A thread
 * made to crash is noticed: its subscribers get `hangup` at the edge, the others keep receiving, a
 * fresh thread takes new subscribers, and the process's file descriptors return to their baseline.
 */
const SECRET = 'threads-secret-0123456789';
const SESSION = 9100;
const PPS = 150;

const fx = spawnedRelayFixture({
  RELAY_SECRET: SECRET,
  RELAY_WORKER_THREADS: '2',
  RELAY_ICE_PORT_MIN: '44100',
  RELAY_ICE_PORT_MAX: '44399',
  RELAY_STATS_PERIOD: '0',
});

interface ThreadCensus {
  restarts: number;
  crashed: boolean;
  threads: Array<{ index: number; threadId: number; alive: boolean; peers: number; taps: number }>;
}
const threads = async (crash?: number) =>
  (await fx.relay.debug<ThreadCensus>(`/debug/threads${crash === undefined ? '' : `?crash=${crash}`}`)).body;
const fdCount = () => readdirSync(`/proc/${fx.relay.pid}/fd`).length;

/** The test publisher's video payload carries its packet counter at byte 5 (see PubClient.sendVideo). */
const counterOf = (payload: Buffer) => payload.readUInt32BE(5);

interface Watched {
  sub: SubClient;
  handle: number;
  seqs: SeqCounter;
  counters: Set<number>;
}

async function watch(pubKey: string, vmid: string): Promise<Watched> {
  const sub = new SubClient();
  const w = { sub, handle: 0, seqs: new SeqCounter(), counters: new Set<number>() };
  sub.pc.onTransceiverAdded.subscribe((t) =>
    t.onTrack.subscribe((tr) =>
      tr.onReceiveRtp.subscribe((rtp) => {
        w.seqs.add(rtp.header.sequenceNumber);
        w.counters.add(counterOf(rtp.payload));
      }),
    ),
  );
  w.handle = (
    await subscribe(fx.link, SESSION, sub, [{ feedId: 1, feedKey: pubKey, feedMid: vmid, type: 'video' }])
  ).handle;
  return w;
}

async function hangup(handle: number): Promise<void> {
  await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: handle, reason: 'Janus API' });
}

async function settledFds(baseline: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let n = fdCount();
  while (n > baseline && Date.now() < deadline) {
    await sleep(200);
    n = fdCount();
  }
  return n;
}

describe('relay threads (RELAY_WORKER_THREADS=2)', () => {
  let baselineFds = 0;
  let pub: PubClient;
  let pubKey = '';
  let vmid = '';
  const sent = new Set<number>();
  let subs: Watched[] = [];

  it('six subscribers spread over both threads each get every packet once', async () => {
    const before = await threads();
    expect(before.threads.map((t) => t.alive)).toEqual([true, true]);
    baselineFds = fdCount();
    pub = new PubClient(1, { audio: false });
    const p = await publish(fx.link, SESSION, pub, { videocodec: 'vp8' });
    pubKey = p.key;
    vmid = p.streams.find((s) => s.type === 'video')!.mid;
    const dtls = pub.pc.dtlsTransports[0]!;
    const sendRtp = dtls.sendRtp.bind(dtls);
    dtls.sendRtp = (payload: Buffer, header: RtpHeader) => {
      sent.add(counterOf(payload));
      return sendRtp(payload, header);
    };
    for (let i = 0; i < 6; i++) subs.push(await watch(pubKey, vmid));
    const placed = await threads();
    expect(placed.threads.map((t) => t.peers)).toEqual([3, 3]);
    expect(placed.threads.map((t) => t.taps)).toEqual([1, 1]);

    pub.start(PPS);
    await sleep(3000);
    pub.stop();
    await sleep(500);
    expect(sent.size).toBeGreaterThan(PPS * 2);
    const perSubscriber = subs.map((w) => ({
      duplicates: w.seqs.duplicates,
      holes: w.seqs.holes,
      missing: [...sent].filter((c) => !w.counters.has(c)).length,
    }));
    expect(perSubscriber).toEqual(subs.map(() => ({ duplicates: 0, holes: 0, missing: 0 })));
  });

  it("a subscriber's keyframe request in a thread reaches the publisher", async () => {
    await sleep(1100); // past the per-stream PLI aggregation window
    const plis = pub.plis;
    const sub = subs[0]!.sub;
    const t = sub.pc.getTransceivers().find((x) => x.mid && sub.rec(x.mid).packets > 0)!;
    await t.receiver.sendRtcpPLI(t.receiver.tracks[0]?.ssrc ?? [...sub.rec(t.mid!).ssrcs][0]!);
    await fx.link.until(() => pub.plis > plis, 5000, 'PLI at the publisher');
  });

  it("a packet capture of a thread's subscriber holds the clear RTP it was sent", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'thread-capture-'));
    try {
      const handle = subs[1]!.handle;
      const start = { op: 'peer.capture', sessionId: SESSION, handleId: handle, capture: true, folder } as const;
      const r = (await fx.link.call({ ...start, filename: 'sub.pcap' })) as { file: string };
      expect(r.file).toBe(join(folder, 'sub.pcap'));
      const before = new Set(sent);
      pub.start(PPS);
      await sleep(1000);
      pub.stop();
      await sleep(300);
      await fx.link.call({ op: 'peer.capture', sessionId: SESSION, handleId: handle, capture: false });
      const f = readFileSync(r.file);
      const counters: number[] = [];
      for (let at = 24; at < f.length; at += 16 + f.readUInt32LE(at + 8)) {
        const packet = f.subarray(at + 16 + 42, at + 16 + f.readUInt32LE(at + 8));
        const outgoing = f[at + 16 + 26 + 1] === 2; // 10.2.2.2: from the relay
        if (!outgoing || (packet[1]! >= 192 && packet[1]! <= 223)) continue; // RTCP (RFC 5761)
        let off = 12 + 4 * (packet[0]! & 0x0f);
        if (packet[0]! & 0x10) off += 4 + 4 * packet.readUInt16BE(off + 2);
        counters.push(counterOf(packet.subarray(off)));
      }
      const fresh = [...sent].filter((c) => !before.has(c));
      expect(counters.length).toBeGreaterThan(PPS / 2);
      expect(counters.every((c) => fresh.includes(c))).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a thread that crashes: its subscribers get hangup, the others keep receiving, a fresh thread takes new ones', async () => {
    const census = await threads(0);
    expect(census.crashed).toBe(true);
    const lost = await fx.link.until(
      () => {
        const hung = subs.filter((w) =>
          fx.link.eventsFor(SESSION, w.handle).some((e) => e.kind === 'hangup' && e.reason === 'Relay thread lost'),
        );
        return hung.length === 3 && hung;
      },
      10_000,
      'hangup of the crashed thread’s subscribers',
    );
    const now = await threads();
    expect(now.restarts).toBe(1);
    expect(now.threads.map((t) => t.alive)).toEqual([true, true]);
    expect(now.threads.map((t) => t.peers)).toEqual([0, 3]);

    const survivors = subs.filter((w) => !lost.includes(w));
    const counts = survivors.map((w) => w.seqs.distinct);
    const fresh = await watch(pubKey, vmid);
    expect((await threads()).threads.map((t) => t.peers)).toEqual([1, 3]);
    const freshBefore = fresh.seqs.distinct;
    const sentBefore = sent.size;
    pub.start(PPS);
    await sleep(1500);
    pub.stop();
    await sleep(500);
    const sentDuring = sent.size - sentBefore;
    expect(sentDuring).toBeGreaterThan(0);
    // every packet sent meanwhile reached each survivor and the new subscriber
    expect(survivors.map((w, i) => w.seqs.distinct - counts[i]!)).toEqual(survivors.map(() => sentDuring));
    expect(fresh.seqs.distinct - freshBefore).toBe(sentDuring);
    expect(fresh.seqs.duplicates + survivors.reduce((n, w) => n + w.seqs.duplicates, 0)).toBe(0);

    for (const w of lost) await w.sub.close();
    for (const w of [...survivors, fresh]) {
      await hangup(w.handle);
      await w.sub.close();
    }
    subs = [];
    expect((await threads()).threads.map((t) => [t.peers, t.taps])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('50 subscribe/unsubscribe cycles across threads leave no peer and no file descriptor behind', async () => {
    for (let i = 0; i < 50; i++) {
      const w = await watch(pubKey, vmid);
      await hangup(w.handle);
      await w.sub.close();
    }
    const census = await threads();
    expect(census.threads.map((t) => [t.peers, t.taps])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const r = await fx.resources<RelayResources & { threadPeers: number }>();
    expect({ peers: r.peers, threadPeers: r.threadPeers }).toEqual({ peers: 1, threadPeers: 0 });
    // with the publisher gone too, everything the subscribers and the crashed thread held is closed
    await hangup(Number(pubKey.split(':')[1]));
    await pub.close();
    expect(await settledFds(baselineFds)).toBe(baselineFds);
  });
});

describe('relay threads and data channels', () => {
  it("a publisher's data channel messages reach subscribers on both threads", async () => {
    const pub = new PubClient(3, { audio: false, data: true });
    const p = await publish(fx.link, SESSION, pub, { videocodec: 'vp8' });
    const vmid = p.streams.find((s) => s.type === 'video')!.mid;
    const dmid = p.streams.find((s) => s.type === 'data')!.mid;
    const subs: Array<{ sub: SubClient; handle: number }> = [];
    for (let i = 0; i < 2; i++) {
      const sub = new SubClient();
      const { handle } = await subscribe(fx.link, SESSION, sub, [
        { feedId: 3, feedKey: p.key, feedMid: vmid, type: 'video' },
        { feedId: 3, feedKey: p.key, feedMid: dmid, type: 'data' },
      ]);
      subs.push({ sub, handle });
    }
    expect((await threads()).threads.map((t) => t.peers)).toEqual([1, 1]);
    await fx.link.until(() => pub.channel?.readyState === 'open', 5000, 'publisher data channel');
    // the relay's channels to the subscribers open asynchronously: repeat until every one has it
    await fx.link.until(
      () => {
        if (subs.every((s) => s.sub.data.includes('to every thread'))) return true;
        pub.channel!.send('to every thread');
        return false;
      },
      5000,
      'data relayed',
    );
    for (const s of subs) {
      await hangup(s.handle);
      await s.sub.close();
    }
    await hangup(p.handle);
    await pub.close();
  });
});

describe('relay threads at shutdown', () => {
  it('SIGINT (stop) with a subscriber on a thread: hangup "Relay shutdown" reaches the edge, the process exits 0', async () => {
    const pub = new PubClient(2, { audio: false });
    const p = await publish(fx.link, SESSION, pub, { videocodec: 'vp8' });
    const vmid = p.streams.find((s) => s.type === 'video')!.mid;
    const w = await watch(p.key, vmid);
    expect((await threads()).threads.reduce((n, t) => n + t.peers, 0)).toBe(1);
    fx.relay.child.kill('SIGINT');
    await fx.link.waitEvent(SESSION, w.handle, 'hangup', (e) => e.reason === 'Relay shutdown');
    expect(await fx.relay.exited).toEqual({ code: 0, signal: null });
    await w.sub.close();
    await pub.close();
  });
});
