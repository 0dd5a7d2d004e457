/**
 * Recording benchmark (issue 13): P werift publishers (VP8 video at RATE bit/s in ~1,100-byte packets,
 * plus Opus-sized audio at 50 packets/s) in one VideoRoom for SECONDS, once with the room recording
 * (`record: true`, `rec_dir` a fresh temporary directory) and once without, against our stack as
 * users run it (`npm start`) and, when the Debian `janus` package is installed, the reference Janus.
 *
 *   npm run bench:recording
 *   npm run bench:recording -- --publishers=20 --seconds=30 --rate=2000000 [--only=ours|reference]
 *
 * Prints per target and mode: packets/s into the server, server CPU µs per packet (the relay, or
 * janus; with recording on, every packet is a recorded one), the same over every process of the
 * server, bytes written to `.mjr` files, how much of them the page cache holds while the files are
 * being written and after they are closed (`fincore`, util-linux), and the server's RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceJanusAvailable } from '../test/support/janusReference.js';
import { arg, positiveInt, positiveNumber } from './support/args.js';
import { runBench, withOurStack, withReferenceJanus, type ServerUnderTest } from './support/servers.js';
import { fmt, table } from './support/table.js';
import { runRecordingWorkload, type RecordingOptions, type RecordingRow } from './recording/workload.js';

const OPTS: RecordingOptions = {
  publishers: positiveInt(arg('publishers') ?? process.env.BENCH_PUBLISHERS, 20, '--publishers'),
  seconds: positiveNumber(arg('seconds') ?? process.env.BENCH_SECONDS, 30, '--seconds'),
  rate: positiveNumber(arg('rate') ?? process.env.BENCH_RATE, 2_000_000, '--rate'),
  warmup: 2,
};
const ONLY = arg('only') ?? process.env.BENCH_ONLY; // 'ours' | 'reference'
const runs = (target: string) => ONLY === undefined || ONLY === target;

/** One mode on one server, recording into a fresh temporary directory, removed after. */
const measure =
  (record: boolean) =>
  async (target: ServerUnderTest): Promise<RecordingRow> => {
    const recDir = mkdtempSync(join(tmpdir(), 'bench-rec-'));
    try {
      return await runRecordingWorkload(target, { ...OPTS, record, recDir, clientAddress: target.clientAddress });
    } finally {
      rmSync(recDir, { recursive: true, force: true });
    }
  };

async function main(): Promise<void> {
  console.log(
    `recording bench: ${OPTS.publishers} publishers, VP8 at ${fmt(OPTS.rate / 1e6)} Mbit/s + audio, ${OPTS.seconds} s each; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const rows: RecordingRow[] = [];
  for (const record of [false, true]) {
    if (runs('ours')) rows.push(await withOurStack(measure(record)));
    if (runs('reference')) {
      if (referenceJanusAvailable()) rows.push(await withReferenceJanus(measure(record)));
      else if (!record) console.log('reference Janus not installed (apt-get install janus): its rows are skipped');
    }
  }
  const mb = (b: number) => fmt(b / 1048576);
  console.log(
    table([
      [
        'target',
        'record',
        'pkts/s in',
        'server µs/pkt',
        'all procs µs/pkt',
        'MB written',
        'files',
        'cached MB (writing)',
        'cached MB (closed)',
        'RSS MB',
      ],
      ...rows.map((r) => [
        r.name,
        r.record ? 'on' : 'off',
        fmt(r.packetsPerSecond, 0),
        fmt(r.serverUsPerPacket, 2),
        fmt(r.stackUsPerPacket, 2),
        mb(r.bytesWritten),
        String(r.files),
        mb(r.cachedWhileWriting),
        mb(r.cachedAfterClose),
        fmt(r.rssKb / 1024, 0),
      ]),
    ]),
  );
  console.log(
    "(µs/pkt: utime+stime from /proc over the measured window ÷ packets the publishers sent in it; cached: fincore over the room's rec_dir)",
  );
}

runBench(main);
