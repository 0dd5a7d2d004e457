/**
 * AudioBridge benchmark (issue 14): rooms of N werift participants sending Opus (most silent, a few
 * talking, then a row with everyone talking), against our stack as users run it (`npm start`) and,
 * when the Debian `janus` package is installed, the reference Janus's AudioBridge.
 *
 *   npm run bench:audiobridge
 *   npm run bench:audiobridge -- --sizes=10,50 --talkers=3 --seconds=30 [--sampling=16000] [--only=ours|reference]
 *
 * Prints per target and room: the mixing process's CPU (the relay, or janus) as % of a core, per
 * participant (ms of CPU per second) and per mixed frame (µs per 20 ms tick of the room), every
 * server process's CPU, the added latency of a tone onset from one participant's send to another's
 * decoded mix (p50/p95), the mix packets each participant received per second, and the server's RSS.
 */
import { cpus, loadavg } from 'node:os';
import { referenceJanusAvailable } from '../test/support/janusReference.js';
import { arg, positiveInt, positiveNumber } from './support/args.js';
import { runBench, withOurStack, withReferenceJanus } from './support/servers.js';
import { fmt, percentile, table } from './support/table.js';
import {
  runAudioBridgeWorkload,
  type AudioBridgeOptions,
  type AudioBridgeRow,
  type AudioBridgeTarget,
} from './audiobridge/workload.js';

const SIZES = (arg('sizes') ?? process.env.BENCH_SIZES ?? '10,50').split(',').map((s) => positiveInt(s, 10, '--sizes'));
const TALKERS = positiveInt(arg('talkers') ?? process.env.BENCH_TALKERS, 3, '--talkers');
const SECONDS = positiveNumber(arg('seconds') ?? process.env.BENCH_SECONDS, 30, '--seconds');
const SAMPLING = positiveInt(arg('sampling') ?? process.env.BENCH_SAMPLING, 16000, '--sampling');
const ONLY = arg('only') ?? process.env.BENCH_ONLY; // 'ours' | 'reference'
const runs = (target: string) => ONLY === undefined || ONLY === target;

/** The rooms measured: each size with a few talking, then with everyone talking. */
const rooms: Array<Pick<AudioBridgeOptions, 'participants' | 'talkers'>> = SIZES.flatMap((n) => [
  { participants: n, talkers: Math.min(TALKERS, n) },
  { participants: n, talkers: n },
]);
const options = (room: (typeof rooms)[number]): AudioBridgeOptions => ({
  ...room,
  seconds: SECONDS,
  warmup: 3,
  samplingRate: SAMPLING,
});

/** Every room of one target, on one server: rooms come and go as in production. */
async function measure(target: AudioBridgeTarget): Promise<AudioBridgeRow[]> {
  const rows: AudioBridgeRow[] = [];
  for (const room of rooms) rows.push(await runAudioBridgeWorkload(target, options(room)));
  return rows;
}

async function main(): Promise<void> {
  console.log(
    `audiobridge bench: rooms of ${SIZES.join(', ')} (${TALKERS} talking, then all), ${SAMPLING} Hz mixing, ${SECONDS} s each; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const rows: AudioBridgeRow[] = [];
  if (runs('ours')) rows.push(...(await withOurStack(measure)));
  if (runs('reference')) {
    if (referenceJanusAvailable()) rows.push(...(await withReferenceJanus(measure)));
    else console.log('reference Janus not installed (apt-get install janus): its rows are skipped');
  }
  console.log(
    table([
      [
        'target',
        'participants',
        'talking',
        'server CPU %',
        'ms/s per participant',
        'µs per mixed frame',
        'all procs CPU %',
        'latency p50 ms',
        'latency p95 ms',
        'onsets heard',
        'mix pkts/s',
        'RSS MB',
      ],
      ...rows.map((r) => [
        r.name,
        String(r.participants),
        String(r.talkers),
        fmt(r.serverCpuPercent),
        fmt(r.cpuMsPerParticipantSecond, 2),
        fmt(r.cpuUsPerMixedFrame, 0),
        fmt(r.stackCpuPercent),
        fmt(percentile(r.latencies, 0.5), 0),
        fmt(percentile(r.latencies, 0.95), 0),
        `${r.latencies.length}/${r.onsetsSent}`,
        fmt(r.packetsPerSecond, 1),
        fmt(r.rssKb / 1024, 0),
      ]),
    ]),
  );
  console.log(
    '(CPU: utime+stime from /proc over the window; a mixed frame is one 20 ms tick of the room; latency: first 1 kHz tone frame sent → its onset decoded in another participant’s mix)',
  );
}

runBench(main);
