/**
 * SFU fan-out benchmark: one VP8 publisher at 150 packets/s to N subscribers, for N = 20, 60, 100
 * by default, through a real relay process (janus.plugin.videoroom peers driven over the control
 * protocol by a test edge: `ours`), through our whole stack as users run it (`npm start`, driven
 * over the Janus API: `stack`, bench/fanout/stack.ts) and, when the Debian `janus` package is
 * installed, through the reference Janus's VideoRoom (`reference`, bench/fanout/reference.ts).
 * Same werift publisher and subscribers for all.
 *
 *   npm run bench:fanout
 *   npm run bench:fanout -- --subs=20,60,100 --seconds=10 [--warmup=2] [--pps=150] [--only=ours|stack|reference|floor]
 *   npm run bench:fanout -- --only=ours --threads=0,2   (`ours` once per RELAY_WORKER_THREADS value)
 *   BENCH_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:fanout -- --only=ours   (node flags of the relay)
 *
 * Prints, per N and target: server CPU µs per forwarded packet (utime+stime of the relay or janus
 * process from /proc/<pid>/stat over the measurement window, divided by packets sent × N), the same
 * over every process of the server (`stack`: npm start's node, workerd and the relay; `ours`: the
 * relay alone, its test edge lives in the bench process), the bench process's own CPU per forwarded packet (publisher,
 * subscribers' counting, test edge), delivered ratio (distinct packets the subscribers got /
 * packets sent × N, and the worst single subscriber), duplicates and losses counted per subscriber
 * by sequence number (a loss is a hole below the highest sequence number the subscriber saw), the
 * server's RSS, and the ours/reference ratios. For each N ours runs first, then a fresh Janus, so
 * both see similar load. Before them, the kernel floor (fanout/kernelFloor.ts): the CPU a process
 * spends per datagram sending the same packets with nothing else to do, on this machine in this
 * run, and how far each server is above it.
 *
 * The subscribers count SRTP packets from their (clear-text) RTP headers as they come off the
 * socket and then drop them, so the bench process's own decryption does not compete with the server
 * for the CPU. Against Janus the clients use the host's non-loopback address (Janus never gathers a
 * loopback candidate); see bench/support/net.ts.
 */
import { cpus, loadavg } from 'node:os';
import { arg, positiveInt, positiveNumber } from './support/args.js';
import { measureKernelFloor, type FloorRow } from './fanout/kernelFloor.js';
import { countAndDrop, measure, type FanoutOptions, type FanoutRow } from './fanout/measure.js';
import { runReference } from './fanout/reference.js';
import { runStack } from './fanout/stack.js';
import { TestEdge, type RelayLink } from '../test/relay/support/edge.js';
import { spawnRelay, type RelayProcess } from '../test/relay/support/process.js';
import { PubClient, publish, SubClient, subscribe } from '../test/relay/sfu/support.js';
import type { SeqCounter } from '../test/relay/sfu/seqCounter.js';
import { referenceJanusAvailable } from '../test/support/janusReference.js';

const SUBS = (arg('subs') ?? process.env.BENCH_SUBS ?? '20,60,100').split(',').map((x) => positiveInt(x, 1, '--subs'));
const OPTS: FanoutOptions = {
  seconds: positiveNumber(arg('seconds') ?? process.env.BENCH_SECONDS, 10, '--seconds'),
  warmup: Number(arg('warmup') ?? process.env.BENCH_WARMUP ?? 2),
  pps: positiveNumber(arg('pps') ?? process.env.BENCH_PPS, 150, '--pps'),
};
const ONLY = arg('only') ?? process.env.BENCH_ONLY; // 'ours' | 'stack' | 'reference' | 'floor'
/** RELAY_WORKER_THREADS of the `ours` relay: one run per value. */
const THREADS = (arg('threads') ?? process.env.BENCH_THREADS ?? '0')
  .split(',')
  .map((x) => (x === '0' ? 0 : positiveInt(x, 1, '--threads')));
const RELAY_NODE_ARGS = (process.env.BENCH_RELAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
const runs = (target: string) => ONLY === undefined || ONLY === target;
const SECRET = 'bench-fanout-secret-0123456789';
const SESSION = 9000;
const SETUP_WORKERS = 4; // subscribers being set up at a time

// Servers still running when a signal arrives: the reference Janus is detached (setsid), so it
// would outlive us.
const stops = new Set<() => Promise<void> | void>();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping servers`);
    void Promise.allSettled([...stops].map((s) => s())).finally(() => process.exit(130));
  });
}

async function runOurs(n: number, threads: number): Promise<FanoutRow> {
  const edge = await new TestEdge({ secret: SECRET }).start();
  let relay: RelayProcess | undefined;
  const subs: SubClient[] = [];
  const pub = new PubClient(1, { audio: false });
  const stop = () => relay?.kill();
  stops.add(stop);
  try {
    relay = await spawnRelay(
      {
        RELAY_ID: `bench-fanout-${n}`,
        RELAY_SECRET: SECRET,
        EDGE_URL: edge.url,
        RELAY_ICE_PORT_MIN: '43000',
        RELAY_ICE_PORT_MAX: '43999',
        RELAY_STATS_PERIOD: '0',
        RELAY_CAPACITY: String(Math.max(200, n + 10)),
        RELAY_WORKER_THREADS: String(threads),
      },
      RELAY_NODE_ARGS,
    );
    const link: RelayLink = await edge.nextLink();
    await link.until(() => link.heartbeats.length > 0, 10_000, 'first heartbeat');
    const t0 = performance.now();
    const p = await publish(link, SESSION, pub, { videocodec: 'vp8' });
    const vmid = p.streams.find((s) => s.type === 'video')!.mid;
    const counters: SeqCounter[] = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        const sub = new SubClient();
        subs.push(sub);
        await subscribe(link, SESSION, sub, [{ feedId: 1, feedKey: p.key, feedMid: vmid, type: 'video' }]);
        counters.push(countAndDrop(sub.pc));
      }
    };
    await Promise.all(Array.from({ length: SETUP_WORKERS }, worker));
    return await measure(relay.pid, pub, counters, OPTS, (performance.now() - t0) / 1000);
  } finally {
    pub.stop();
    await Promise.allSettled([pub.close(), ...subs.map((s) => s.close())]);
    relay?.child.kill('SIGTERM');
    if (relay) await Promise.race([relay.exited, new Promise((r) => setTimeout(r, 5000))]);
    relay?.kill();
    stops.delete(stop);
    await edge.close();
  }
}

type Runner = typeof runReference;
async function runServer(run: Runner, n: number): Promise<FanoutRow> {
  let stop: (() => Promise<void>) | undefined;
  try {
    return await run(n, OPTS, SETUP_WORKERS, (s) => stops.add((stop = s)));
  } finally {
    if (stop) stops.delete(stop);
  }
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '-';
const pct = (r: FanoutRow | undefined, f: (r: FanoutRow) => string) => (r ? f(r) : '-');

function report(
  ours: Map<number, Map<number, FanoutRow>>,
  stack: Map<number, FanoutRow>,
  ref: Map<number, FanoutRow>,
  floor: Map<number, FloorRow>,
): void {
  console.log(
    '\n| subscribers | forwarded pkt/s | target | server CPU | server µs / forwarded packet | every server process µs / packet | bench process µs / packet | delivered (worst subscriber) | duplicates (subscribers) | lost (subscribers) | server RSS | set-up |',
  );
  console.log('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of SUBS) {
    for (const [name, rows] of [
      ...[...ours].map(([t, rows]) => [`ours (relay, test edge${t ? `, ${t} threads` : ''})`, rows] as const),
      ['ours (npm start)', stack],
      ['reference (janus)', ref],
    ] as const) {
      const r = rows.get(n);
      if (!r) continue;
      console.log(
        `| ${n} | ${r.forwardedPps} | ${name} | ${r.cpuPct} % | ${r.usPerForwarded} | ${r.stackUsPerForwarded} | ${r.clientUsPerForwarded} | ${(r.delivered * 100).toFixed(2)} % (${(r.worstDelivered * 100).toFixed(2)} %) | ${r.duplicates} (${r.subscribersWithDuplicates}) | ${r.lost} (${r.subscribersWithLoss}) | ${r.rssMb} MB | ${r.setupS} s |`,
      );
    }
    const k = floor.get(n);
    if (k) {
      // npm start's relay when it ran (what users run), else the test edge's
      const relay = stack.get(n) ?? ours.get(THREADS[0]!)?.get(n);
      const above = (r: FanoutRow | undefined) => (r ? (r.usPerForwarded - k.usPerDatagram).toFixed(2) : '-');
      console.log(
        `| ${n} | | kernel floor (sendto alone${k.direct ? '' : ', dgram'}) | | ${k.usPerDatagram} | | | ${(k.delivered * 100).toFixed(2)} % | | | | |`,
      );
      console.log(
        `| ${n} | | above the floor: ours${stack.has(n) ? ' (npm start)' : ''} ${above(relay)}, reference ${above(ref.get(n))} | | | | | | | | | |`,
      );
    }
    const o = stack.get(n) ?? ours.get(THREADS[0]!)?.get(n);
    const f = ref.get(n);
    if (o && f)
      console.log(
        `| ${n} | | ours/reference | ${ratio(o.cpuPct, f.cpuPct)} | ${ratio(o.usPerForwarded, f.usPerForwarded)} | ${ratio(o.stackUsPerForwarded, f.stackUsPerForwarded)} | | ${pct(o, (x) => (x.delivered * 100).toFixed(2))} / ${pct(f, (x) => (x.delivered * 100).toFixed(2))} % | | | ${ratio(o.rssMb, f.rssMb)} | ${ratio(o.setupS, f.setupS)} |`,
      );
  }
}

async function main(): Promise<void> {
  console.log(
    `# SFU fan-out: 1 VP8 publisher at ${OPTS.pps} pkt/s, ${OPTS.seconds}s measured after ${OPTS.warmup}s warm-up; ${cpus().length} CPUs, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const withRef = runs('reference') && referenceJanusAvailable();
  if (runs('reference') && !withRef)
    console.log(
      'reference: skipped (janus not installed: apt-get install janus, or ../shared/tools/janus-reference.sh missing)',
    );
  const ours = new Map<number, Map<number, FanoutRow>>(THREADS.map((t) => [t, new Map<number, FanoutRow>()]));
  const stack = new Map<number, FanoutRow>();
  const ref = new Map<number, FanoutRow>();
  const floor = new Map<number, FloorRow>();
  for (const n of SUBS) {
    if (ONLY !== 'reference') {
      const row = await measureKernelFloor(n, OPTS);
      floor.set(n, row);
      console.log(`floor ${JSON.stringify(row)}`);
    }
    if (runs('ours'))
      for (const t of THREADS) {
        const row = await runOurs(n, t);
        ours.get(t)!.set(n, row);
        console.log(`ours (${t} threads) ${JSON.stringify(row)}`);
      }
    if (runs('stack')) {
      const row = await runServer(runStack, n);
      stack.set(n, row);
      console.log(`stack ${JSON.stringify(row)}`);
    }
    if (withRef) {
      const row = await runServer(runReference, n);
      ref.set(n, row);
      console.log(`reference ${JSON.stringify(row)}`);
    }
  }
  report(ours, stack, ref, floor);
  for (const [n, r] of stack)
    console.log(
      `npm start @${n}: µs per forwarded packet by process ${JSON.stringify(r.perProcess)}; relay memory ${JSON.stringify(r.serverMemory ?? {})}`,
    );
  console.log(
    `\n(server CPU: utime+stime of the relay or janus process over the window; µs per packet sent × N. Every server process: npm start's node, workerd and relay for ours (npm start), the relay for ours (relay), janus for the reference. set-up: publisher offer to last subscriber connected, ${SETUP_WORKERS} at a time. 1-min load average now ${loadavg()[0]!.toFixed(2)})`,
  );
}

main().then(
  () => process.exit(0),
  async (err) => {
    console.error(err);
    await Promise.allSettled([...stops].map((s) => s()));
    process.exit(1);
  },
);
