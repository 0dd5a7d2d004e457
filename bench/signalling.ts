/**
 * Signalling benchmark: N WebSocket clients each loop create → attach echotest → message
 * ({audio:true}; waits for the ack AND the async event) → detach → destroy for S seconds, against our
 * stack (the edge in workerd) and then against the reference Janus when it is installed.
 *
 *   npm run bench:signalling                       # 20 clients, 10 s
 *   BENCH_CLIENTS=50 BENCH_SECONDS=20 npm run bench:signalling
 *   npm run bench:signalling -- --clients=50 --seconds=20 [--warmup=2] [--only=ours|reference] [--deflate=false]
 *
 * Prints loops/s, p50/p99 loop latency, server CPU time per loop (from /proc/<pid>/stat of the
 * workerd processes under our stack, or of the janus process) and server RSS, then the ratios.
 * Everything it starts is stopped on exit, error or signal.
 */
import { cpus, loadavg } from 'node:os';
import WebSocket from 'ws';
import { arg, positiveNumber } from './support/args.js';
import { CLK_TCK, cpuMsOf, descendants, readStat, rssKb } from './support/proc.js';
import { referenceJanusAvailable, startReferenceJanus } from '../test/support/janusReference.js';
import { startStack } from '../test/support/stack.js';
import { cleanup, cleanups } from './support/cleanup.js';
import { fmt, percentile, table } from './support/table.js';

// ---------------------------------------------------------------------------------------------- options

const CLIENTS = Math.floor(positiveNumber(arg('clients') ?? process.env.BENCH_CLIENTS, 20, 'BENCH_CLIENTS'));
const SECONDS = positiveNumber(arg('seconds') ?? process.env.BENCH_SECONDS, 10, 'BENCH_SECONDS');
const WARMUP = positiveNumber(arg('warmup') ?? process.env.BENCH_WARMUP, Math.min(2, SECONDS / 5), 'BENCH_WARMUP');
const ONLY = arg('only') ?? process.env.BENCH_ONLY; // 'ours' | 'reference'
/** Clients offer permessage-deflate as browsers and the `ws` package do (the headline); --deflate=false does not. */
const DEFLATE = (arg('deflate') ?? process.env.BENCH_DEFLATE ?? 'true') !== 'false';
const REQUEST_TIMEOUT_MS = 10_000;
const ECHO = 'janus.plugin.echotest';

// ---------------------------------------------------------------------------------------------- /proc

// ---------------------------------------------------------------------------------------------- client

type Msg = Record<string, unknown> & { janus: string };

interface Pending {
  needEvent: boolean;
  reply?: Msg;
  event?: Msg;
  resolve: (m: Msg) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One WebSocket; requests are matched to replies (and plugin events) by transaction. */
class Client {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private constructor(
    private readonly ws: WebSocket,
    private readonly id: number,
  ) {
    ws.on('message', (d) => this.onMessage(JSON.parse(d.toString()) as Msg));
    ws.on('close', () => {
      for (const [tx, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error('socket closed'));
        this.pending.delete(tx);
      }
    });
  }

  static async connect(url: string, id: number): Promise<Client> {
    const ws = new WebSocket(url, 'janus-protocol', { perMessageDeflate: DEFLATE });
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    return new Client(ws, id);
  }

  private onMessage(m: Msg): void {
    const tx = typeof m.transaction === 'string' ? m.transaction : undefined;
    const p = tx ? this.pending.get(tx) : undefined;
    if (!p) return; // detached events and the like
    if (m.janus === 'event') p.event = m;
    else p.reply = m;
    if (p.reply && (p.reply.janus === 'error' || !p.needEvent || p.event)) {
      clearTimeout(p.timer);
      this.pending.delete(tx!);
      p.resolve(p.reply);
    }
  }

  /** Sends a request; resolves with its reply (and, with `needEvent`, once the event came too). */
  request(body: Record<string, unknown>, needEvent = false): Promise<Msg> {
    const transaction = `c${this.id}-${++this.seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new Error(`timeout waiting for ${String(body.janus)}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(transaction, { needEvent, resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...body, transaction }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

function ok(m: Msg, want: string): Msg {
  if (m.janus !== want) throw new Error(`expected ${want}, got ${JSON.stringify(m).slice(0, 200)}`);
  return m;
}

const STEPS = ['create', 'attach', 'message', 'detach', 'destroy'] as const;
type Step = (typeof STEPS)[number];
/** Each step's latencies of one loop, in order, so that a loop's tail can be traced to the step that waited. */
type StepTimes = Partial<Record<Step, number>>;

async function timed<T>(times: StepTimes, step: Step, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await run();
  times[step] = performance.now() - t0;
  return out;
}

async function oneLoop(c: Client, times: StepTimes): Promise<void> {
  const s = ok(await timed(times, 'create', () => c.request({ janus: 'create' })), 'success');
  const sessionId = (s.data as { id: number }).id;
  try {
    const a = ok(
      await timed(times, 'attach', () => c.request({ janus: 'attach', session_id: sessionId, plugin: ECHO })),
      'success',
    );
    const handleId = (a.data as { id: number }).id;
    const body = { janus: 'message', session_id: sessionId, handle_id: handleId, body: { audio: true } };
    ok(await timed(times, 'message', () => c.request(body, true)), 'ack');
    const detach = { janus: 'detach', session_id: sessionId, handle_id: handleId };
    ok(await timed(times, 'detach', () => c.request(detach)), 'success');
  } finally {
    ok(await timed(times, 'destroy', () => c.request({ janus: 'destroy', session_id: sessionId })), 'success');
  }
}

// ---------------------------------------------------------------------------------------------- run

interface Result {
  target: string;
  loops: number;
  errors: number;
  firstError?: string;
  seconds: number;
  loopsPerSec: number;
  p50: number;
  p99: number;
  /** Each step's p50/p99 in ms. */
  steps: Record<Step, { p50: number; p99: number }>;
  /** Set when a server process was gone at the end (its CPU figures are then meaningless). */
  crashed?: string;
  serverCpuMs: number;
  serverCpuPerLoopMs: number;
  serverCpuPct: number;
  clientCpuPct: number;
  rssMb: number;
  hwmMb: number;
  processes: string;
}

async function runAgainst(target: string, wsUrl: string, serverPids: () => number[]): Promise<Result> {
  const clients: Client[] = [];
  cleanups.push(() => clients.forEach((c) => c.close()));
  for (let i = 0; i < CLIENTS; i++) clients.push(await Client.connect(wsUrl, i));

  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let measureEnd = 0;
  const latencies: number[] = [];
  const stepLatencies = new Map<Step, number[]>(STEPS.map((step) => [step, []]));
  let errors = 0;
  let firstError: string | undefined;

  const worker = async (c: Client) => {
    while (phase !== 'stop') {
      const t0 = performance.now();
      const counted = phase === 'measure';
      const times: StepTimes = {};
      try {
        await oneLoop(c, times);
        const t1 = performance.now();
        if (counted && t1 <= measureEnd) {
          latencies.push(t1 - t0);
          for (const step of STEPS) stepLatencies.get(step)!.push(times[step]!);
        }
      } catch (err) {
        if (counted) {
          errors++;
          firstError ??= String(err);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const workers = clients.map(worker);

  await new Promise((r) => setTimeout(r, WARMUP * 1000));
  const pids = serverPids();
  if (pids.length === 0) throw new Error(`${target}: no server process found`);
  const cpu0 = cpuMsOf(pids);
  const client0 = process.cpuUsage();
  const wall0 = performance.now();
  measureEnd = wall0 + SECONDS * 1000;
  phase = 'measure';
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu1 = cpuMsOf(pids);
  const gone = pids.filter((p) => !readStat(p));
  const client1 = process.cpuUsage(client0);
  const wall = (performance.now() - wall0) / 1000;
  phase = 'stop';
  await Promise.all(workers);
  const mem = pids.map(rssKb).reduce((a, b) => ({ rss: a.rss + b.rss, hwm: a.hwm + b.hwm }), { rss: 0, hwm: 0 });
  clients.forEach((c) => c.close());

  const loops = latencies.length;
  const serverCpuMs = cpu1 - cpu0;
  const names = pids.map((p) => `${readStat(p)?.comm ?? '?'}:${p}`).join(',');
  return {
    target,
    loops,
    errors,
    firstError,
    seconds: wall,
    loopsPerSec: loops / wall,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    steps: Object.fromEntries(
      STEPS.map((step) => {
        const times = stepLatencies.get(step)!;
        return [step, { p50: percentile(times, 0.5), p99: percentile(times, 0.99) }];
      }),
    ) as Result['steps'],
    ...(gone.length ? { crashed: `server process ${gone.join(', ')} exited during the run` } : {}),
    serverCpuMs,
    serverCpuPerLoopMs: loops ? serverCpuMs / loops : NaN,
    serverCpuPct: (serverCpuMs / 1000 / wall) * 100,
    clientCpuPct: ((client1.user + client1.system) / 1e6 / wall) * 100,
    rssMb: mem.rss / 1024,
    hwmMb: mem.hwm / 1024,
    processes: names,
  };
}

async function benchOurs(): Promise<Result> {
  // The Worker straight from workerd (no wrangler dev proxy in front), as in production.
  const stack = await startStack({ LOG_LEVEL: 'warn' });
  cleanups.push(async () => void (await stack.stop()));
  // The stack runs `scripts/start.ts` as our child; wrangler and workerd sit below it.
  const workerd = () =>
    descendants(process.pid)
      .filter((p) => p.comm === 'workerd')
      .map((p) => p.pid);
  console.log(`ours: stack on ${stack.baseUrl}; workerd pids ${workerd().join(', ') || '(none yet)'}`);
  try {
    return await runAgainst('ours (edge/workerd)', stack.wsUrl, workerd);
  } finally {
    await stack.stop();
  }
}

async function benchReference(): Promise<Result | undefined> {
  if (!referenceJanusAvailable()) {
    console.log(
      'reference: skipped (janus not installed: apt-get install janus, or ../shared/tools/janus-reference.sh missing)',
    );
    return undefined;
  }
  const ref = await startReferenceJanus();
  if (!ref) return undefined;
  cleanups.push(() => ref.stop());
  console.log(`reference: janus pid ${ref.pid} on ${ref.wsUrl}`);
  try {
    return await runAgainst('reference (janus 1.1.2)', ref.wsUrl, () => [ref.pid]);
  } finally {
    ref.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `signalling bench: ${CLIENTS} WebSocket clients (${DEFLATE ? 'offering permessage-deflate, as browsers do' : 'not offering permessage-deflate'}), ${SECONDS} s measured (+${WARMUP} s warm-up), loop = create → attach echotest → message(ack+event) → detach → destroy; ${cpus().length} CPUs, CLK_TCK ${CLK_TCK}`,
  );
  const load0 = loadavg()[0]!;
  if (load0 > cpus().length / 2)
    console.log(
      `warning: load average ${load0.toFixed(1)} before the run: other processes compete for the CPUs, figures will be noisy`,
    );
  const results: Result[] = [];
  if (ONLY !== 'reference') results.push(await benchOurs());
  if (ONLY !== 'ours') {
    const r = await benchReference();
    if (r) results.push(r);
  }
  const header = [
    'target',
    'loops',
    'loops/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'srv CPU ms/loop',
    'srv CPU %',
    'client CPU %',
    'srv RSS MB',
    'srv peak RSS MB',
  ];
  const rows = results.map((r) => [
    r.crashed ? `${r.target} CRASHED` : r.target,
    String(r.loops),
    fmt(r.loopsPerSec),
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    String(r.errors),
    fmt(r.serverCpuPerLoopMs, 3),
    fmt(r.serverCpuPct),
    fmt(r.clientCpuPct),
    fmt(r.rssMb),
    fmt(r.hwmMb),
  ]);
  const ours = results.find((r) => r.target.startsWith('ours'));
  const ref = results.find((r) => r.target.startsWith('reference'));
  if (ours && ref) {
    rows.push([
      'ratio ours/reference',
      '',
      `${fmt(ours.loopsPerSec / ref.loopsPerSec, 2)}x`,
      `${fmt(ours.p50 / ref.p50, 2)}x`,
      `${fmt(ours.p99 / ref.p99, 2)}x`,
      '',
      `${fmt(ours.serverCpuPerLoopMs / ref.serverCpuPerLoopMs, 2)}x`,
      `${fmt(ours.serverCpuPct / ref.serverCpuPct, 2)}x`,
      '',
      `${fmt(ours.rssMb / ref.rssMb, 2)}x`,
      `${fmt(ours.hwmMb / ref.hwmMb, 2)}x`,
    ]);
  }
  console.log(`\n${table([header, ...rows])}`);
  const stepRows = results.map((r) => [
    r.target,
    ...STEPS.map((step) => `${fmt(r.steps[step].p50, 2)} / ${fmt(r.steps[step].p99, 2)}`),
  ]);
  console.log(`\neach step, p50 / p99 ms (where a slow loop waited)\n${table([['target', ...STEPS], ...stepRows])}`);
  for (const r of results) {
    const notes = [r.crashed, r.firstError && `first error: ${r.firstError}`].filter(Boolean).join('; ');
    console.log(`${r.target}: server processes ${r.processes}${notes ? `; ${notes}` : ''}`);
  }
  console.log(
    `(client CPU % is this bench process; it shares the machine with the server. 1-min load average now ${loadavg()[0]!.toFixed(1)})`,
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
