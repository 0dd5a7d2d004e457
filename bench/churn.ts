/**
 * VideoRoom churn benchmark: how many room operations per second the server answers while clients
 * come and go, and what that does to everyone else's latency. Against `npm start` (the deploy bundle
 * in workerd through Miniflare, and a relay) and then the reference Janus, in one run:
 *
 *   - one room, created with a `secret` by a moderator, and one steady publisher (werift, audio every
 *     20 ms and video every 33 ms) whom every churner subscribes to;
 *   - CHURNERS janus.js-like clients (WebSockets offering permessage-deflate, as browsers do) each
 *     looping: create + attach, join as publisher, configure with a werift offer (publish), attach a
 *     subscriber handle, join it to the steady feed and start with a werift answer, configure
 *     keyframe: true, then `leave` or be kicked by the moderator (alternating), destroy the session.
 *     Ten operations a cycle (bench/churn/churner.ts); nobody waits for ICE;
 *   - a keepalive prober on its own session (one keepalive every 50 ms): the p99 of its acks is what
 *     a participant sitting in a busy room sees.
 *
 * Prints, for each server: operations/s, per-operation p50/p99, keepalive p50/p99, errors, server CPU
 * (every process: npm start's node, workerd, each relay; or janus) per operation and in %, RSS; then
 * CPU and RSS per process, which says where the time goes (edge vs relay). Goal (issue 12):
 * ≥ 1.0× the reference's operations/s with a keepalive p99 < 100 ms.
 *
 *   npm run bench:churn
 *   npm run bench:churn -- --churners=8 --seconds=30 --warmup=5 --probe-ms=50 --only=ours|reference
 *     --runner=miniflare|wrangler
 */
import { cpus, loadavg } from 'node:os';
import { arg, positiveInt, positiveNumber } from './support/args.js';
import { churner, ChurnStats, type ChurnRoom } from './churn/churner.js';
import { keepaliveProber } from './churn/prober.js';
import { cleanup, cleanups } from './support/cleanup.js';
import { cpuMsOf, readStat, rssKb } from './support/proc.js';
import { data, Member, publisher } from './support/roomMember.js';
import { fmt, percentile, table } from './support/table.js';
import { stackProcesses } from './soak/memory.js';
import { referenceJanusAvailable, startReferenceJanus } from '../test/support/janusReference.js';
import { hostAddress } from '../test/support/referenceNet.js';
import { startStack } from '../test/support/stack.js';

const opt = (name: string) => arg(name) ?? process.env[`CHURN_${name.toUpperCase().replace(/-/g, '_')}`];
const CHURNERS = positiveInt(opt('churners'), 8, '--churners');
const SECONDS = positiveNumber(opt('seconds'), 30, '--seconds');
const WARMUP = positiveNumber(opt('warmup'), 5, '--warmup');
const PROBE_MS = positiveNumber(opt('probe-ms'), 50, '--probe-ms');
const RUNNER = opt('runner') ?? process.env.EDGE_RUNNER ?? 'miniflare';
const ONLY = opt('only') ?? process.env.BENCH_ONLY;
const API_SECRET = 'churn-api-secret';
const ROOM_SECRET = 'churn-room-secret';

interface Proc {
  name: string;
  pid: number;
}

interface Result {
  target: string;
  stats: ChurnStats;
  keepalives: number[];
  seconds: number;
  perProcess: Array<{ name: string; cpuMs: number; rssMb: number; hwmMb: number }>;
  clientCpuPct: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runAgainst(
  target: string,
  wsUrl: string,
  apisecret: string | undefined,
  procs: () => Proc[],
  iceAddress?: string,
) {
  const room = 100_000 + Math.floor(Math.random() * 900_000);
  const moderator = await Member.connect(wsUrl, apisecret);
  cleanups.push(() => moderator.leave(true));
  data(
    await moderator.ask({ request: 'create', room, publishers: CHURNERS * 2 + 2, secret: ROOM_SECRET }),
    'create room',
  );
  const steady = await publisher(wsUrl, apisecret, room, 1, undefined, iceAddress);
  cleanups.push(() => steady.leave(true));
  const r: ChurnRoom = { wsUrl, apisecret, room, secret: ROOM_SECRET, feed: 1, moderator, iceAddress };
  const stats = new ChurnStats();
  const keepalives: number[] = [];
  const workers = [
    ...Array.from({ length: CHURNERS }, (_, i) => churner(r, stats, i)),
    keepaliveProber(wsUrl, apisecret, stats, PROBE_MS, keepalives),
  ];
  await sleep(WARMUP * 1000);
  const ps = procs();
  const cpu0 = new Map(ps.map((p) => [p.pid, cpuMsOf([p.pid])]));
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  stats.counting = true;
  await sleep(SECONDS * 1000);
  stats.counting = false;
  const seconds = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(client0);
  const perProcess = ps.map((p) => {
    const mem = rssKb(p.pid);
    return { name: p.name, cpuMs: cpuMsOf([p.pid]) - cpu0.get(p.pid)!, rssMb: mem.rss / 1024, hwmMb: mem.hwm / 1024 };
  });
  stats.stopped = true;
  await Promise.all(workers);
  await steady.leave(false);
  await moderator.ask({ request: 'destroy', room, secret: ROOM_SECRET }).catch(() => undefined);
  await moderator.leave(false);
  return {
    target,
    stats,
    keepalives,
    seconds,
    perProcess,
    clientCpuPct: ((client.user + client.system) / 1e6 / seconds) * 100,
  } satisfies Result;
}

async function benchOurs(): Promise<Result> {
  const stack = await startStack({
    LOG_LEVEL: 'warn',
    EDGE_RUNNER: RUNNER,
    API_SECRET,
    // Every client is 127.0.0.1 here: the per-address limits would refuse a room of browsers.
    MAX_PEERS_PER_ADDRESS: '0',
    OFFERS_PER_SECOND_PER_ADDRESS: '0',
  });
  cleanups.push(async () => void (await stack.stop()));
  try {
    return await runAgainst(`ours (npm start, ${RUNNER})`, stack.wsUrl, API_SECRET, () =>
      stackProcesses({ ...stack, runner: RUNNER }).filter((p) => readStat(p.pid)),
    );
  } finally {
    await stack.stop();
  }
}

async function benchReference(): Promise<Result | undefined> {
  if (!referenceJanusAvailable()) {
    console.log('reference: skipped (janus not installed: apt-get install janus)');
    return undefined;
  }
  const ref = await startReferenceJanus();
  if (!ref) return undefined;
  cleanups.push(() => ref.stop());
  try {
    return await runAgainst(
      'reference (janus 1.1.2)',
      ref.wsUrl,
      undefined,
      () => [{ name: 'janus', pid: ref.pid }],
      hostAddress(),
    );
  } finally {
    ref.stop();
  }
}

/** Where a cycle's time goes: each step's p50/p99 (ms, all its requests), one column pair per server. */
function stepTable(results: Result[]): string {
  const steps = [...new Set(results.flatMap((r) => [...r.stats.stepMs.keys()]))];
  const header = ['step (ms)', ...results.flatMap((r) => [`${r.target.split(' ')[0]} p50`, 'p99'])];
  return table([
    header,
    ...steps.map((step) => [
      step,
      ...results.flatMap((r) => {
        const v = r.stats.stepMs.get(step) ?? [];
        return [fmt(percentile(v, 0.5)), fmt(percentile(v, 0.99))];
      }),
    ]),
  ]);
}

function report(results: Result[]): void {
  const header = [
    'target',
    'cycles',
    'ops',
    'ops/s',
    'op p50 ms',
    'op p99 ms',
    'keepalive p50',
    'keepalive p99',
    'errors',
    'srv CPU %',
    'srv CPU ms/op',
    'srv RSS MB',
    'client CPU %',
  ];
  const row = (r: Result) => {
    const cpuMs = r.perProcess.reduce((a, p) => a + p.cpuMs, 0);
    return {
      opsPerSec: r.stats.ops / r.seconds,
      kaP99: percentile(r.keepalives, 0.99),
      cpuPerOp: cpuMs / r.stats.ops,
      cells: [
        r.target,
        String(r.stats.cycles),
        String(r.stats.ops),
        fmt(r.stats.ops / r.seconds),
        fmt(percentile(r.stats.opMs, 0.5), 1),
        fmt(percentile(r.stats.opMs, 0.99), 1),
        fmt(percentile(r.keepalives, 0.5), 1),
        fmt(percentile(r.keepalives, 0.99), 1),
        String(r.stats.errors),
        fmt((cpuMs / 1000 / r.seconds) * 100),
        fmt(cpuMs / r.stats.ops, 2),
        fmt(r.perProcess.reduce((a, p) => a + p.rssMb, 0)),
        fmt(r.clientCpuPct),
      ],
    };
  };
  const rows = results.map(row);
  const lines = [header, ...rows.map((r) => r.cells)];
  if (rows.length === 2) {
    const [o, ref] = rows as [ReturnType<typeof row>, ReturnType<typeof row>];
    lines.push([
      'ratio ours/reference',
      '',
      '',
      `${fmt(o.opsPerSec / ref.opsPerSec, 2)}x`,
      '',
      '',
      '',
      `${fmt(o.kaP99 / ref.kaP99, 2)}x`,
      '',
      '',
      `${fmt(o.cpuPerOp / ref.cpuPerOp, 2)}x`,
      '',
      '',
    ]);
  }
  console.log(`\n${table(lines)}`);
  for (const r of results) {
    console.log(
      `\n${r.target}: ${r.stats.kicks} kicks, ${r.stats.leaves} leaves, ${r.stats.keyframes} keyframe requests, ${r.keepalives.length} keepalives${r.stats.firstError ? `; first error: ${r.stats.firstError}` : ''}`,
    );
    const total = r.perProcess.reduce((a, p) => a + p.cpuMs, 0);
    console.log(
      table([
        ['process', 'CPU %', 'share of server CPU', 'CPU ms/op', 'RSS MB', 'peak RSS MB'],
        ...r.perProcess.map((p) => [
          p.name,
          fmt((p.cpuMs / 1000 / r.seconds) * 100),
          `${fmt((p.cpuMs / total) * 100, 0)} %`,
          fmt(p.cpuMs / r.stats.ops, 2),
          fmt(p.rssMb),
          fmt(p.hwmMb),
        ]),
      ]),
    );
  }
  console.log(`\n${stepTable(results)}`);
  const ours = rows.length && results[0]!.target.startsWith('ours') ? rows[0]! : undefined;
  const ref = rows.find((_, i) => results[i]!.target.startsWith('reference'));
  if (ours && ref) {
    const met = ours.opsPerSec >= ref.opsPerSec && ours.kaP99 < 100;
    console.log(
      `\ngoal (≥ 1.0× the reference's ops/s, keepalive p99 < 100 ms): ${met ? 'met' : 'NOT met'} (${fmt(ours.opsPerSec / ref.opsPerSec, 2)}×, p99 ${fmt(ours.kaP99)} ms)`,
    );
  }
}

async function main(): Promise<void> {
  console.log(
    `# churn: ${CHURNERS} churners in one VideoRoom (10 operations a cycle: create+attach, join, publish, attach, subscribe+start, keyframe, leave|kick, destroy), a keepalive every ${PROBE_MS} ms, ${SECONDS} s measured after ${WARMUP} s; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const results: Result[] = [];
  if (ONLY !== 'reference') results.push(await benchOurs());
  if (ONLY !== 'ours') {
    const r = await benchReference();
    if (r) results.push(r);
  }
  report(results);
  console.log(
    `(1-min load average now ${loadavg()[0]!.toFixed(2)}; client CPU % is this process, on the same machine)`,
  );
}

try {
  await main();
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
