/**
 * Memory at rest: the RSS (and PSS: shared pages split between the processes sharing them) of every
 * process of `npm start` right after `ready`, nothing connected, a few quiet seconds later; several
 * runs, since the supervisor's figure moves by ±10 MB from one start to the next. Then, with
 * --subs, the relay's RSS at N subscribers of one VP8 publisher (bench:fanout's set-up) with the
 * relay run as `npm start` runs it: compiled, with its node flags.
 *
 *   npm run bench:rest
 *   npm run bench:rest -- --runs=3 --settle=5 --subs=100 --seconds=10
 */
import { readFileSync } from 'node:fs';
import { arg, positiveInt, positiveNumber } from './support/args.js';
import { cleanup, cleanups } from './support/cleanup.js';
import { countAndDrop, measure } from './fanout/measure.js';
import { rssKb } from './support/proc.js';
import { stackProcesses } from './soak/memory.js';
import { TestEdge } from '../test/relay/support/edge.js';
import type { SeqCounter } from '../test/relay/sfu/seqCounter.js';
import { spawnRelay } from '../test/relay/support/process.js';
import { PubClient, publish, SubClient, subscribe } from '../test/relay/sfu/support.js';
import { startStack } from '../test/support/stack.js';

const RUNS = positiveInt(arg('runs') ?? process.env.REST_RUNS, 3, '--runs');
const SETTLE = positiveNumber(arg('settle') ?? process.env.REST_SETTLE, 5, '--settle');
const SUBS = arg('subs') ?? process.env.REST_SUBS;
const SECONDS = positiveNumber(arg('seconds') ?? process.env.REST_SECONDS, 10, '--seconds');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** One start of the stack: each process's RSS and PSS in MB, by name. */
async function atRest(): Promise<Map<string, { rss: number; pss: number }>> {
  const stack = await startStack({ LOG_LEVEL: 'info', RELAY_LOG_LEVEL: 'info' });
  cleanups.push(async () => void (await stack.stop()));
  try {
    await sleep(SETTLE * 1000);
    const rows = new Map<string, { rss: number; pss: number }>();
    for (const p of stackProcesses({ ...stack, runner: 'miniflare' })) {
      // A relay's id ends with the stack's PORT, which changes at every start.
      const name = p.name.replace(new RegExp(`-${stack.port}$`), '');
      rows.set(name, { rss: rssKb(p.pid).rss / 1024, pss: pssKb(p.pid) / 1024 });
    }
    return rows;
  } finally {
    await stack.stop();
    cleanups.pop();
  }
}

/** The relay as npm start runs it, at `n` subscribers; its RSS at the end of the window. */
async function relayAt(n: number): Promise<string> {
  const secret = 'bench-rest-secret-0123456789';
  const edge = await new TestEdge({ secret }).start();
  const pub = new PubClient(1, { audio: false });
  const subs: SubClient[] = [];
  // spawnRelay runs the compiled relay with npm start's node flags.
  const relay = await spawnRelay({
    RELAY_ID: `bench-rest-${n}`,
    RELAY_SECRET: secret,
    EDGE_URL: edge.url,
    RELAY_ICE_PORT_MIN: '43000',
    RELAY_ICE_PORT_MAX: '43999',
    RELAY_CAPACITY: String(Math.max(200, n + 10)),
  });
  cleanups.push(() => relay.kill());
  try {
    const link = await edge.nextLink();
    await link.until(() => link.heartbeats.length > 0, 10_000, 'first heartbeat');
    const idle = rssKb(relay.pid).rss / 1024;
    const p = await publish(link, 9000, pub, { videocodec: 'vp8' });
    const feedMid = p.streams.find((s) => s.type === 'video')!.mid;
    const counters: SeqCounter[] = [];
    while (subs.length < n) {
      const sub = new SubClient();
      subs.push(sub);
      await subscribe(link, 9000, sub, [{ feedId: 1, feedKey: p.key, feedMid, type: 'video' }]);
      counters.push(countAndDrop(sub.pc));
    }
    const r = await measure(relay.pid, pub, counters, { pps: 150, seconds: SECONDS, warmup: 2 }, 0);
    return `| ${n} | ${idle.toFixed(1)} MB | ${r.rssMb} MB | ${r.usPerForwarded} | ${(r.delivered * 100).toFixed(2)} % |`;
  } finally {
    pub.stop();
    await Promise.allSettled([pub.close(), ...subs.map((s) => s.close())]);
    relay.child.kill('SIGTERM');
    await Promise.race([relay.exited, sleep(5000)]);
    relay.kill();
    await edge.close();
  }
}

const runs: Array<Map<string, { rss: number; pss: number }>> = [];
for (let i = 0; i < RUNS; i++) runs.push(await atRest());
const names = [...new Set(runs.flatMap((r) => [...r.keys()]))];
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const cell = (name: string, k: 'rss' | 'pss') => {
  const xs = runs.map((r) => r.get(name)?.[k] ?? 0);
  return `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
};
console.log(`\n# npm start at rest: ${RUNS} starts, ${SETTLE} s after ready; MB, median (min–max)\n`);
console.log('| process | RSS | PSS |\n|---|---:|---:|');
for (const name of names) console.log(`| ${name} | ${cell(name, 'rss')} | ${cell(name, 'pss')} |`);
const totals = (k: 'rss' | 'pss') => runs.map((r) => [...r.values()].reduce((a, v) => a + v[k], 0));
const total = (k: 'rss' | 'pss') => {
  const xs = totals(k);
  return `${median([...xs]).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
};
console.log(`| **total** | ${total('rss')} | ${total('pss')} |`);

if (SUBS) {
  console.log('\n# the relay as npm start runs it, one VP8 publisher at 150 pkt/s\n');
  console.log(
    '| subscribers | RSS idle | RSS loaded | µs / forwarded packet | delivered |\n|---:|---:|---:|---:|---:|',
  );
  for (const n of SUBS.split(',').map((x) => positiveInt(x, 1, '--subs'))) console.log(await relayAt(n));
}
await cleanup();
