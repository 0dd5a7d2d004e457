/**
 * Cascade benchmark: what one relay-to-relay hop costs. Two real relay processes (A and B) under a
 * test edge driving the control protocol; one VP8 publisher on A sending 150 packets/s, each carrying
 * a counter whose send time the bench remembers.
 *
 *   npm run bench:cascade
 *   npm run bench:cascade -- --subs=10 --seconds=10 [--warmup=2] [--pps=150]
 *
 * Phase "direct": N subscribers on relay A (ordinary fan-out).
 * Phase "cascade": the publisher is remotized to relay B exactly as Janus's publish_remotely →
 * add_remote_publisher does (plain RTP, SSRC 1000 + mindex×10, RTCP back-channel), with the NACK
 * history an automatic cascade adds, and N subscribers on relay B receive it.
 *
 * Prints, per phase: media latency from send to receive at the subscribers (p50/p99/max, same clock:
 * the bench process runs both ends), CPU µs of relay A per source packet and per forwarded packet, and
 * CPU µs of relay B per forwarded packet (utime+stime from /proc over the window, minus what each
 * relay spends per second without media, measured just before; /proc counts in 10 ms ticks, so run
 * long enough for the difference to mean something). The hop's cost is
 * the cascade row minus the direct row. The subscribers decrypt SRTP in this process (they must read
 * the payload), so keep N modest on a 2-core machine.
 */
import { loadavg } from 'node:os';
import type { CommandInput } from '../shared/control/commands.js';
import { TestEdge, type RelayLink } from '../test/relay/support/edge.js';
import { spawnRelay, type RelayProcess } from '../test/relay/support/process.js';
import { handleId, PubClient, publish, sleep, SubClient, subscribe } from '../test/relay/sfu/support.js';
import { arg, positiveInt, positiveNumber } from './support/args.js';
import { cpuMsOf } from './support/proc.js';

const SUBS = positiveInt(arg('subs') ?? process.env.BENCH_SUBS, 10, 'subs');
const SECONDS = positiveNumber(arg('seconds') ?? process.env.BENCH_SECONDS, 10, 'seconds');
const WARMUP = positiveNumber(arg('warmup') ?? process.env.BENCH_WARMUP, 2, 'warmup');
const PPS = positiveInt(arg('pps') ?? process.env.BENCH_PPS, 150, 'pps');
const SECRET = 'bench-cascade-secret-0123456789';
const SESSION = 9100;

type PubStreams = Awaited<ReturnType<typeof publish>>['streams'];

/** Send times by packet counter (the counter sits in the payload, which relays forward untouched). */
const sentAt = new Map<number, number>();
let latencies: number[] = [];
let received = 0;

/** Records the latency of every video packet a subscriber receives. */
function measure(sub: SubClient): void {
  sub.pc.onTransceiverAdded.subscribe((t) =>
    t.onTrack.subscribe((track) => {
      if (track.kind !== 'video') return;
      track.onReceiveRtp.subscribe((rtp) => {
        const p = rtp.payload;
        // PubClient's payload: VP8 descriptor (1 byte), VP8 header, 0x7e, id, layer, counter (u32)
        if (p.length < 9 || p[2] !== 0x7e) return;
        const at = sentAt.get(p.readUInt32BE(5));
        if (at === undefined) return;
        latencies.push(performance.now() - at);
        received++;
      });
    }),
  );
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function startRelay(
  name: string,
  edge: TestEdge,
  ice: number,
  remote: number,
): Promise<{ proc: RelayProcess; link: RelayLink }> {
  const linked = edge.nextLink(true, 20_000); // this relay's own link (asked before it can connect)
  const proc = await spawnRelay({
    RELAY_ID: name,
    RELAY_SECRET: SECRET,
    EDGE_URL: edge.url,
    RELAY_ICE_PORT_MIN: String(ice),
    RELAY_ICE_PORT_MAX: String(ice + 199),
    RELAY_REMOTE_PORT_MIN: String(remote),
    RELAY_REMOTE_PORT_MAX: String(remote + 19),
    RELAY_STATS_PERIOD: '0',
  });
  const link = await linked;
  await link.until(() => link.heartbeats.length > 0, 5000, `${name} heartbeat`);
  return { proc, link };
}

/** Subscribes N clients on `link` to the video of feed `feedKey`, `streams` describing it. */
async function subscribers(
  link: RelayLink,
  feedKey: string,
  streams: PubStreams,
): Promise<Array<{ sub: SubClient; handle: number }>> {
  const video = streams.find((s) => s.type === 'video')!;
  const subs: Array<{ sub: SubClient; handle: number }> = [];
  for (let i = 0; i < SUBS; i++) {
    const sub = new SubClient();
    measure(sub);
    const { handle } = await subscribe(link, SESSION, sub, [{ feedId: 1, feedKey, feedMid: video.mid, type: 'video' }]);
    subs.push({ sub, handle });
  }
  return subs;
}

interface PhaseResult {
  phase: string;
  p50: number;
  p99: number;
  max: number;
  delivered: number;
  aUsPerSource: number;
  aUsPerForwarded: number;
  bUsPerForwarded: number;
}

/** CPU µs each relay spends per second without media (heartbeats, tickers, RTCP), to subtract. */
async function idleUsPerSecond(a: RelayProcess, b: RelayProcess): Promise<[number, number]> {
  const ms = Math.max(2000, (SECONDS * 1000) / 2);
  const [a0, b0] = [cpuMsOf([a.pid]), cpuMsOf([b.pid])];
  await sleep(ms);
  return [((cpuMsOf([a.pid]) - a0) * 1e6) / ms, ((cpuMsOf([b.pid]) - b0) * 1e6) / ms];
}

/** Measures the idle cost, then sends at PPS for WARMUP + SECONDS and measures the window. */
async function run(
  phase: string,
  pub: PubClient,
  a: RelayProcess,
  b: RelayProcess,
  forwardedOnA: number,
): Promise<PhaseResult> {
  await sleep(2000); // let the subscribers' DTLS handshakes finish: they are not idle cost
  const [idleA, idleB] = await idleUsPerSecond(a, b);
  const every = 1000 / PPS;
  let stop = false;
  let sentInWindow = 0;
  let inWindow = false;
  const loop = (async () => {
    let next = performance.now();
    while (!stop) {
      pub.sendVideo(0);
      const counter = pub.layers[0]!.counter;
      sentAt.set(counter, performance.now());
      sentAt.delete(counter - 10 * PPS);
      if (inWindow) sentInWindow++;
      next += every;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();
  await sleep(WARMUP * 1000);
  latencies = [];
  received = 0;
  inWindow = true;
  const cpuA = cpuMsOf([a.pid]);
  const cpuB = cpuMsOf([b.pid]);
  await sleep(SECONDS * 1000);
  const usA = Math.max(0, (cpuMsOf([a.pid]) - cpuA) * 1000 - idleA * SECONDS);
  const usB = Math.max(0, (cpuMsOf([b.pid]) - cpuB) * 1000 - idleB * SECONDS);
  inWindow = false;
  const got = received;
  const sorted = latencies.slice().sort((x, y) => x - y);
  stop = true;
  await loop;
  await sleep(300);
  return {
    phase,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    delivered: got / (sentInWindow * SUBS),
    aUsPerSource: usA / sentInWindow,
    aUsPerForwarded: usA / (sentInWindow * forwardedOnA),
    bUsPerForwarded: phase === 'direct' ? NaN : usB / (sentInWindow * SUBS),
  };
}

async function main(): Promise<void> {
  console.log(
    `cascade bench: 1 VP8 publisher at ${PPS} pkt/s on relay A; ${SUBS} subscribers on A (direct), then ${SUBS} on B through one cascade hop; ${SECONDS} s measured after ${WARMUP} s warm-up; load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const edge = await new TestEdge({ secret: SECRET }).start();
  const relays: RelayProcess[] = [];
  const cleanup = () => {
    for (const r of relays) r.kill();
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const A = await startRelay('cascade-a', edge, 43000, 43400);
    relays.push(A.proc);
    const B = await startRelay('cascade-b', edge, 43200, 43420);
    relays.push(B.proc);
    const pub = new PubClient(1, { audio: false });
    const p = await publish(A.link, SESSION, pub);
    const results: PhaseResult[] = [];

    // direct: subscribers on the publisher's relay
    const direct = await subscribers(A.link, `${SESSION}:${p.handle}`, p.streams);
    results.push(await run('direct', pub, A.proc, B.proc, SUBS));
    for (const { sub, handle } of direct) {
      await A.link.request({
        op: 'peer.hangup',
        sessionId: SESSION,
        handleId: handle,
        reason: 'bench',
      } as CommandInput);
      await sub.pc.close();
    }

    // cascade: the publisher remotized to relay B, subscribers there
    const remoteHandle = handleId();
    const added = await B.link.request({
      op: 'sfu.remoteAdd',
      sessionId: SESSION,
      handleId: remoteHandle,
      room: 1,
      streams: p.streams.map((s) => ({
        mid: s.mid,
        mindex: s.mindex,
        type: s.type as 'video',
        ...(s.codec ? { codec: s.codec } : {}),
      })),
    } as CommandInput);
    if (!added.ok) throw new Error(`remoteAdd: ${JSON.stringify(added)}`);
    const remote = added.result as { port: number; rtcp_port: number; streams: PubStreams };
    const forward = await A.link.request({
      op: 'sfu.forward',
      sessionId: SESSION,
      handleId: p.handle,
      // as an automatic cascade forwards: Janus's wire format, plus a NACK history on video
      streams: p.streams.map((s, i) => ({
        mid: s.mid,
        host: '127.0.0.1',
        port: remote.port,
        ssrc: 1000 + s.mindex * 10,
        nack: true,
        ...(i === 0 ? { rtcp_port: remote.rtcp_port } : {}),
      })),
    } as CommandInput);
    if (!forward.ok) throw new Error(`forward: ${JSON.stringify(forward)}`);
    await subscribers(B.link, `${SESSION}:${remoteHandle}`, remote.streams);
    results.push(await run('cascade', pub, A.proc, B.proc, 1));

    const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    console.log('');
    console.log(
      'phase     latency p50 ms  p99 ms  max ms  delivered  relay A µs/source pkt  relay A µs/forwarded pkt  relay B µs/forwarded pkt',
    );
    for (const r of results) {
      console.log(
        `${r.phase.padEnd(9)} ${f(r.p50).padStart(14)} ${f(r.p99).padStart(7)} ${f(r.max).padStart(7)} ${(100 * r.delivered).toFixed(2).padStart(9)} % ${f(r.aUsPerSource, 1).padStart(21)} ${f(r.aUsPerForwarded, 1).padStart(25)} ${f(r.bUsPerForwarded, 1).padStart(25)}`,
      );
    }
    const [d, c] = results as [PhaseResult, PhaseResult];
    console.log(
      `one cascade hop adds ${f(c.p50 - d.p50)} ms at p50 and ${f(c.p99 - d.p99)} ms at p99; a cascaded packet costs relay A ${f(c.aUsPerSource, 1)} µs (ingest + one forward to B) and relay B ${f(c.bUsPerForwarded, 1)} µs per subscriber copy (direct: ${f(d.aUsPerForwarded, 1)} µs per copy on A)`,
    );
    console.log(
      `(latency: send → receive in this process, both ends' werift included; CPU: utime+stime of each relay over the window minus its idle rate. Load now ${loadavg()[0]!.toFixed(2)})`,
    );
  } finally {
    cleanup();
    await edge.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
