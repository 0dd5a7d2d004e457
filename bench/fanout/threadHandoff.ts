/**
 * What handing one batch of packets to a relay thread costs (relay/threads/packetRing.ts), by way:
 * a transferred ArrayBuffer, a copied one (structured clone), or a
 * SharedArrayBuffer ring whose writer bumps a counter and `Atomics.notify`s a thread parked in
 * `Atomics.waitAsync` (what the relay does). One batch per turn of the event loop (1 ms apart), as at the fan-out's packet
 * rates; process CPU per batch minus a run that sends nothing.
 *
 *   npx tsx bench/fanout/threadHandoff.ts [--batches=3000] [--bytes=1216] [--rounds=2]
 */
import { Worker } from 'node:worker_threads';
import { arg, positiveInt } from '../support/args.js';

const BATCHES = positiveInt(arg('batches'), 3000, '--batches');
const BYTES = positiveInt(arg('bytes'), 1216, '--bytes');
const ROUNDS = positiveInt(arg('rounds'), 2, '--rounds');
type Mode = 'none' | 'transfer' | 'copy' | 'sab-notify';

// plain JS: the thread must not need a TypeScript loader
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { mode, ctl, ring } = workerData;
const bytes = new Uint8Array(ring);
let n = 0;
let sum = 0;
const finish = () => parentPort.postMessage({ n, sum });
if (mode === 'sab-notify') {
  // Atomics.waitAsync does not keep a thread's event loop alive; its port does
  parentPort.on('message', () => {});
  let seen = 0;
  (async () => {
    for (;;) {
      const r = Atomics.waitAsync(ctl, 0, seen);
      if (r.async) await r.value;
      const v = Atomics.load(ctl, 0);
      for (; seen < v; seen++) { n++; sum += bytes[(seen * 1500) % (ring.byteLength - 1500)]; }
      if (Atomics.load(ctl, 1)) return finish();
    }
  })();
} else {
  parentPort.on('message', (m) => {
    if (m.t === 'done') return finish();
    n++;
    sum += new Uint8Array(m.batch)[0];
  });
}
parentPort.postMessage('ready');
`;

async function run(mode: Mode): Promise<number> {
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const ring = new SharedArrayBuffer(1 << 20);
  const worker = new Worker(THREAD, { eval: true, workerData: { mode, ctl, ring } });
  await new Promise((r) => worker.once('message', r));
  const payload = new Uint8Array(BYTES).fill(7);
  const ringBytes = new Uint8Array(ring);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < BATCHES; i++) {
    if (mode === 'sab-notify') {
      ringBytes.set(payload, (i * 1500) % (ring.byteLength - 1500));
      Atomics.add(ctl, 0, 1);
      Atomics.notify(ctl, 0);
    } else if (mode !== 'none') {
      const batch = new ArrayBuffer(BYTES);
      new Uint8Array(batch).set(payload);
      worker.postMessage({ t: 'rtp', batch, length: BYTES }, mode === 'transfer' ? [batch] : []);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const done = new Promise<{ n: number }>((r) => worker.once('message', r));
  worker.postMessage({ t: 'done' });
  Atomics.store(ctl, 1, 1);
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  const got = await done;
  const cpu = process.cpuUsage(cpu0);
  await worker.terminate();
  if (mode !== 'none' && got.n < BATCHES) throw new Error(`${mode}: ${got.n} of ${BATCHES} batches arrived`);
  return (cpu.user + cpu.system) / BATCHES;
}

async function main(): Promise<void> {
  const modes: Mode[] = ['none', 'transfer', 'copy', 'sab-notify'];
  const results = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) for (const m of modes) results.get(m)!.push(await run(m));
  const base = Math.min(...results.get('none')!);
  console.log(
    `| hand-off of a ${BYTES}-byte batch | process CPU µs per batch, above sending nothing (best of ${ROUNDS}) |`,
  );
  console.log('|---|---:|');
  for (const m of modes.slice(1)) console.log(`| ${m} | ${(Math.min(...results.get(m)!) - base).toFixed(1)} |`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
