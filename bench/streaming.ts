/**
 * `npm run bench:streaming`: one Streaming mountpoint (ffmpeg's VP8 at `--rate` bit/s plus Opus, as
 * plain RTP) watched by werift viewers, a row for each of `--viewers` (a list: 100 and 300 by default),
 * against `npm start` and the reference Janus's Streaming plugin. CPU per forwarded packet counts every
 * packet in times the viewers (what the server had to send), so viewers that do not keep up do not
 * inflate it. The clip is encoded once and sent with `-c copy`, so the sender costs next to nothing.
 * Prints the server's CPU per forwarded packet (the relay, or janus), every server process's CPU (by
 * pid: the viewers' and this process's CPU is not in it, and is printed apart), the delivered ratio
 * (distinct packets the viewers received by sequence number / packets sent × viewers) overall and of
 * the worst viewer, the viewers' join time from `watch` to their first video packet (p50/p95), and RSS.
 * The viewers run in `--workers` processes of their own (one per 50 viewers by default, at most 8) and
 * count packets off the wire without decrypting them past the first video packet (`--decrypt` decrypts
 * every one, as a real client does, at a cost to the load generator).
 * Options: --viewers=100,300 --seconds=20 --rate=2000000 --workers=N --decrypt --only=ours|reference;
 * BENCH_STREAMING_VIEWERS sets the viewer counts too (the option wins).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { pid } from 'node:process';
import { startReferenceWithStreaming } from '../test/differential/streamingReference.js';
import { arg, positiveInt } from './support/args.js';
import { cleanups } from './support/cleanup.js';
import { cpuMsOf, rssKb } from './support/proc.js';
import { runBench, withOurStack, withReferenceJanus, type ServerUnderTest } from './support/servers.js';
import { fmt, percentile, table } from './support/table.js';
import { BenchViewer } from './streaming/viewer.js';
import { UdpTee } from './streaming/udpTee.js';
import { ViewerPool } from './streaming/viewerPool.js';

const VIEWER_COUNTS = (arg('viewers') ?? process.env.BENCH_STREAMING_VIEWERS ?? '100,300')
  .split(',')
  .map((v) => positiveInt(v.trim() || '0', 0, '--viewers'));
const workersArg = arg('workers');
/** Viewer processes; by default one per 50 viewers, at most 8. */
const workersFor = (viewers: number) => positiveInt(workersArg, Math.min(8, Math.ceil(viewers / 50)), '--workers');
workersFor(1); // a bad --workers fails before any server starts
const DECRYPT = arg('decrypt') === 'true';
const SECONDS = positiveInt(arg('seconds'), 20, '--seconds');
const RATE = positiveInt(arg('rate'), 2_000_000, '--rate');
const ONLY = arg('only');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  server: string;
  viewers: number;
  sent: number;
  delivered: number;
  worstViewer: number;
  serverCpuPct: number;
  usPerPacket: number;
  allCpuPct: number;
  viewersCpuPct: number;
  joinP50: number;
  joinP95: number;
  rssMb: number;
}

/** A clip encoded once (VP8 at RATE, Opus) that ffmpeg then sends with `-c copy`: the sender costs next to nothing. */
function encodeClip(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-streaming-'));
  const clip = join(dir, 'clip.webm');
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=20'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=20'],
    ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', String(RATE)],
    ...['-minrate', String(RATE), '-maxrate', String(RATE), '-g', '60'],
    ...['-c:a', 'libopus', '-b:a', '48k', clip],
  ]);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return clip;
}

function ffmpeg(clip: string, audioPort: number, videoPort: number): ChildProcess {
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip],
    ...[
      '-map',
      '0:v',
      '-c:v',
      'copy',
      '-payload_type',
      '100',
      '-f',
      'rtp',
      `rtp://127.0.0.1:${videoPort}?pkt_size=1200`,
    ],
    ...['-map', '0:a', '-c:a', 'copy', '-payload_type', '111', '-f', 'rtp', `rtp://127.0.0.1:${audioPort}`],
  ];
  const p = spawn('ffmpeg', args, { stdio: 'ignore' });
  cleanups.push(() => void p.kill('SIGKILL'));
  return p;
}

async function measure(server: ServerUnderTest, clip: string, viewers: number): Promise<Row> {
  const admin = await BenchViewer.open(server.wsUrl);
  const id = 77_000 + Math.floor(Math.random() * 1000);
  const created = await admin.sync({
    request: 'create',
    type: 'rtp',
    id,
    media: [
      { type: 'audio', mid: 'a', port: 0, pt: 111, codec: 'opus' },
      { type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8' },
    ],
  });
  const ports = (created.stream as { ports: Array<{ mid: string; port: number }> }).ports;
  const host = (created.stream as { host?: string }).host ?? '127.0.0.1';
  const tees = await Promise.all(
    ['a', 'v'].map((mid) => UdpTee.open({ host, port: ports.find((p) => p.mid === mid)!.port })),
  );
  // warm-up sender: viewers join a live mountpoint
  const warm = ffmpeg(clip, tees[0]!.port, tees[1]!.port);
  await sleep(2000);
  const pool = ViewerPool.start(workersFor(viewers));
  await pool.open(viewers, { wsUrl: server.wsUrl, id, clientAddress: server.clientAddress, decrypt: DECRYPT });
  await sleep(3000);
  const pids = server.stackPids();
  const loadPids = [pid, ...pool.pids];
  const sentNow = () => tees[0]!.packets + tees[1]!.packets;
  // what was sent at the viewers' sample: the middle of the tees' counts around it (it takes an IPC round trip)
  const sample = async () => {
    const before = sentNow();
    const viewersNow = await pool.sample();
    return { sent: (before + sentNow()) / 2, viewers: viewersNow };
  };
  const { sent: sent0, viewers: got0 } = await sample();
  const cpu0 = cpuMsOf([server.serverPid]);
  const all0 = cpuMsOf(pids);
  const load0 = cpuMsOf(loadPids);
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const elapsed = performance.now() - t0;
  const cpu = cpuMsOf([server.serverPid]) - cpu0;
  const all = cpuMsOf(pids) - all0;
  const load = cpuMsOf(loadPids) - load0;
  const { sent: sent1, viewers: got1 } = await sample();
  const sent = sent1 - sent0;
  const got = got1.map((v, i) => v.packets - (got0[i]?.packets ?? 0));
  const joins = got1.flatMap((v) => (v.joinMs === null ? [] : [v.joinMs]));
  const rss = pids.reduce((s, p) => s + rssKb(p).rss, 0) / 1024;
  warm.kill('SIGKILL');
  await pool.stop();
  for (const t of tees) t.close();
  await admin.sync({ request: 'destroy', id }).catch(() => undefined);
  await admin.close();
  return {
    server: server.name,
    viewers,
    sent: sent / (elapsed / 1000),
    delivered: got.reduce((s, n) => s + n, 0) / Math.max(1, sent * viewers),
    worstViewer: Math.min(...got) / Math.max(1, sent),
    serverCpuPct: (cpu / elapsed) * 100,
    // per packet the server had to send (packets in × viewers), whether or not the viewers kept up
    usPerPacket: (cpu * 1000) / Math.max(1, sent * viewers),
    allCpuPct: (all / elapsed) * 100,
    viewersCpuPct: (load / elapsed) * 100,
    joinP50: percentile(joins, 0.5),
    joinP95: percentile(joins, 0.95),
    rssMb: rss,
  };
}

async function main(): Promise<void> {
  const clip = encodeClip();
  const rows: Row[] = [];
  for (const viewers of VIEWER_COUNTS) {
    // `npm start` gives its relay 200 ICE ports (one per viewer): more viewers need a wider range, as a user sets it.
    const ports: Record<string, string> =
      viewers + 50 > 200 ? { RELAY_ICE_PORTS: String(viewers + 50), RELAY_ICE_PORT_BASE: '21000' } : {};
    if (ONLY !== 'reference') rows.push(await withOurStack((s) => measure(s, clip, viewers), ports));
    if (ONLY !== 'ours')
      rows.push(await withReferenceJanus((s) => measure(s, clip, viewers), startReferenceWithStreaming));
  }
  console.log(
    `\nStreaming: 1 mountpoint (VP8 ${RATE / 1e6} Mbit/s + Opus), ${SECONDS} s, viewers ${DECRYPT ? 'decrypting every packet' : 'counting without decrypting'}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  console.log(
    table([
      [
        'server',
        'viewers',
        'pkts/s in',
        'delivered',
        'worst viewer',
        'server CPU %',
        'µs/fwd pkt',
        'all procs CPU %',
        'viewers CPU %',
        'join p50 ms',
        'join p95 ms',
        'RSS MB',
      ],
      ...rows.map((r) => [
        r.server,
        String(r.viewers),
        fmt(r.sent, 0),
        `${fmt(r.delivered * 100, 2)} %`,
        `${fmt(r.worstViewer * 100, 2)} %`,
        fmt(r.serverCpuPct),
        fmt(r.usPerPacket, 2),
        fmt(r.allCpuPct),
        fmt(r.viewersCpuPct),
        fmt(r.joinP50, 0),
        fmt(r.joinP95, 0),
        fmt(r.rssMb, 0),
      ]),
    ]),
  );
}

runBench(main);
