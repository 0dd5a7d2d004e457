/**
 * SFU fan-out benchmark: one VP8 publisher at 150 packets/s to N subscribers through a real relay
 * process (janus.plugin.videoroom peers driven over the control protocol by a test edge), for
 * N = 20, 60, 100 by default.
 *
 *   npm run bench:fanout
 *   npm run bench:fanout -- --subs=20,60,100 --seconds=10 [--warmup=2] [--pps=150]
 *
 * Prints, per N: relay CPU µs per forwarded packet (utime+stime of the relay process from
 * /proc/<pid>/stat over the measurement window, divided by the packets it forwarded), delivered
 * ratio (packets the subscribers got / packets the publisher sent × N), and the relay's RSS.
 *
 * The subscribers count SRTP packets from their (clear-text) RTP headers as they come off the
 * socket and then drop them, so the bench process's own decryption does not compete with the relay
 * for the CPU. The reference-Janus side is not implemented.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { RTCDtlsTransport } from 'werift';
import { TestEdge, type RelayLink } from '../test/relay/support/edge.js';
import { spawnRelay, type RelayProcess } from '../test/relay/support/process.js';
import { PubClient, publish, SubClient, subscribe } from '../test/relay/sfu/support.js';

function arg(name: string): string | undefined {
  const hit = process.argv.slice(2).find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : (hit.split('=')[1] ?? 'true');
}

const SUBS = (arg('subs') ?? process.env.BENCH_SUBS ?? '20,60,100').split(',').map((x) => Math.max(1, Math.floor(Number(x))));
const SECONDS = Number(arg('seconds') ?? process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(arg('warmup') ?? process.env.BENCH_WARMUP ?? 2);
const PPS = Number(arg('pps') ?? process.env.BENCH_PPS ?? 150);
const SECRET = 'bench-fanout-secret-0123456789';
const SESSION = 9000;
const CLK_TCK = 100;

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] = utime, fields[12] = stime (0-based after the command name)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Counts the subscriber's incoming RTP (from the clear-text header) and drops it before SRTP. */
function countAndDrop(sub: SubClient): { packets: number } {
  const counter = { packets: 0 };
  const dtls = sub.pc.dtlsTransports[0] as RTCDtlsTransport;
  dtls.iceTransport.connection.onData.subscribe((data: Buffer) => {
    if (data.length < 12 || data[0]! >> 6 !== 2) return;
    const pt = data[1]! & 0x7f;
    if (pt >= 64 && pt <= 95) return; // RTCP
    counter.packets++;
  });
  // werift's own inbound path: drop everything from now on (debug knob of its DTLS transport)
  (dtls as unknown as { config: { debug?: Record<string, number> } }).config.debug = { inboundPacketLoss: 1e-9 };
  return counter;
}

async function runOne(n: number): Promise<Record<string, number>> {
  const edge = await new TestEdge({ secret: SECRET }).start();
  let relay: RelayProcess | undefined;
  const subs: SubClient[] = [];
  const pub = new PubClient(1, { audio: false });
  try {
    relay = await spawnRelay({
      RELAY_ID: `bench-fanout-${n}`,
      RELAY_SECRET: SECRET,
      EDGE_URL: edge.url,
      RELAY_ICE_PORT_MIN: '43000',
      RELAY_ICE_PORT_MAX: '43999',
      RELAY_STATS_PERIOD: '0',
      RELAY_CAPACITY: String(Math.max(200, n + 10)),
    });
    const link: RelayLink = await edge.nextLink();
    await link.until(() => link.heartbeats.length > 0, 10_000, 'first heartbeat');
    const p = await publish(link, SESSION, pub, { videocodec: 'vp8' });
    const vmid = p.streams.find((s) => s.type === 'video')!.mid;
    const counters: Array<{ packets: number }> = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        const sub = new SubClient();
        subs.push(sub);
        await subscribe(link, SESSION, sub, [{ feedId: 1, feedKey: p.key, feedMid: vmid, type: 'video' }]);
        counters.push(countAndDrop(sub));
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    pub.start(PPS);
    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    const sent0 = pub.sent.video;
    const got0 = counters.reduce((a, c) => a + c.packets, 0);
    const cpu0 = cpuMs(relay.pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const cpu1 = cpuMs(relay.pid);
    const t1 = performance.now();
    const sent = pub.sent.video - sent0;
    pub.stop();
    await new Promise((r) => setTimeout(r, 300)); // in-flight packets
    const got = counters.reduce((a, c) => a + c.packets, 0) - got0;
    const forwarded = sent * n;
    const cpu = cpu1 - cpu0;
    return {
      subscribers: n,
      seconds: Math.round((t1 - t0) / 100) / 10,
      sentPps: Math.round(sent / ((t1 - t0) / 1000)),
      forwardedPps: Math.round(forwarded / ((t1 - t0) / 1000)),
      relayCpuPct: Math.round((cpu / (t1 - t0)) * 1000) / 10,
      usPerForwarded: Math.round(((cpu * 1000) / Math.max(1, forwarded)) * 100) / 100,
      delivered: Math.round((got / Math.max(1, forwarded)) * 10000) / 10000,
      relayRssMb: Math.round(rssMb(relay.pid) * 10) / 10,
    };
  } finally {
    pub.stop();
    await Promise.allSettled([pub.close(), ...subs.map((s) => s.close())]);
    relay?.child.kill('SIGTERM');
    if (relay) await Promise.race([relay.exited, new Promise((r) => setTimeout(r, 5000))]);
    relay?.kill();
    await edge.close();
  }
}

async function main(): Promise<void> {
  console.log(`# SFU fan-out: 1 VP8 publisher at ${PPS} pkt/s, ${SECONDS}s measured after ${WARMUP}s warm-up; ${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const rows: Array<Record<string, number>> = [];
  for (const n of SUBS) {
    const row = await runOne(n);
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  console.log('\n| subscribers | forwarded pkt/s | relay CPU | µs / forwarded packet | delivered | relay RSS |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.subscribers} | ${r.forwardedPps} | ${r.relayCpuPct} % | ${r.usPerForwarded} | ${(r.delivered! * 100).toFixed(2)} % | ${r.relayRssMb} MB |`);
  console.log('\n(reference Janus: not measured)');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
