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
import { startStack } from '../test/support/stack.js';
import { referenceJanusAvailable, startReferenceJanus } from '../test/support/janusReference.js';
import { hostAddress } from '../test/support/referenceNet.js';
import { arg, positiveInt, positiveNumber } from './support/args.js';
import { cleanup, cleanups } from './support/cleanup.js';
import { descendants } from './support/proc.js';
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

async function ours(record: boolean): Promise<RecordingRow> {
  const stack = await startStack({
    LOG_LEVEL: 'warn',
    // Every publisher is 127.0.0.1 here: the per-address limits would refuse a room of them.
    MAX_PEERS_PER_ADDRESS: '0',
    OFFERS_PER_SECOND_PER_ADDRESS: '0',
  });
  const stop = async () => void (await stack.stop());
  cleanups.push(stop);
  const recDir = mkdtempSync(join(tmpdir(), 'bench-rec-ours-'));
  try {
    const relay = stack.relays[0];
    if (!relay) throw new Error('npm start reported no relay');
    return await runRecordingWorkload(
      {
        name: 'ours (npm start)',
        wsUrl: stack.wsUrl,
        serverPid: relay.pid,
        stackPids: () => [stack.pid, ...descendants(stack.pid).map((p) => p.pid)],
      },
      { ...OPTS, record, recDir },
    );
  } finally {
    await stop();
    rmSync(recDir, { recursive: true, force: true });
  }
}

async function reference(record: boolean): Promise<RecordingRow> {
  const ref = await startReferenceJanus();
  if (!ref) throw new Error('reference Janus could not be started');
  cleanups.push(() => ref.stop());
  const recDir = mkdtempSync(join(tmpdir(), 'bench-rec-janus-'));
  try {
    return await runRecordingWorkload(
      { name: 'reference Janus', wsUrl: ref.wsUrl, serverPid: ref.pid, stackPids: () => [ref.pid] },
      { ...OPTS, record, recDir, clientAddress: hostAddress() },
    );
  } finally {
    ref.stop();
    rmSync(recDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `recording bench: ${OPTS.publishers} publishers, VP8 at ${fmt(OPTS.rate / 1e6)} Mbit/s + audio, ${OPTS.seconds} s each; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const rows: RecordingRow[] = [];
  for (const record of [false, true]) {
    if (runs('ours')) rows.push(await ours(record));
    if (runs('reference')) {
      if (referenceJanusAvailable()) rows.push(await reference(record));
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

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(() => cleanup());
