/**
 * Call set-up benchmark: EchoTest calls from a werift client (real ICE/DTLS/SRTP over loopback UDP),
 * against our stack (the edge in workerd + one relay) and then against the reference Janus when it
 * is installed. Same client code for both.
 *
 * One call = WebSocket → create → attach janus.plugin.echotest → werift offer (audio+video, host
 * candidates in the SDP) sent with message {audio:true, video:true} → answer applied → the client
 * sends one tagged RTP packet per 20 ms on each track from the moment its PeerConnection is
 * connected → hangup → destroy. Measured from sending the offer:
 *   answer    the plugin event carrying the JSEP answer arrives
 *   ice       the client's ICE agent reports connected (its DTLS server starts then)
 *   webrtcup  the `webrtcup` event arrives
 *   echo      the first of our tagged packets comes back (either track)
 *
 * Against the reference Janus, ice → webrtcup takes about one second: Janus (DTLS client, setup
 * active) sends its ClientHello as soon as its own ICE check succeeds, before the werift client has
 * seen ICE connected and started its DTLS server, so werift drops it and OpenSSL retransmits after
 * its initial 1 s timer (setting `dtls_timeout = 100` in janus.jcfg did not change that here). A browser
 * would keep that early ClientHello; the `ice` column shows the part that does not depend on it.
 *
 *   npm run bench:connect                                   # 20 calls, concurrency 10
 *   BENCH_CALLS=50 BENCH_CONCURRENCY=20 npm run bench:connect
 *   npm run bench:connect -- --calls=50 --concurrency=20 [--only=floor|ours|reference] [--warmup=60]
 *
 * Runs the calls one after another, then BENCH_CALLS calls with BENCH_CONCURRENCY in flight, and
 * prints p50/p95/max of each metric, server CPU per call (from /proc/<pid>/stat: every process under
 * our stack, or the janus process) and ours/reference ratios. First, the same calls against a bare
 * werift answerer (`connect/weriftFloor.ts`): werift's own cost of a call, set beside our relay's.
 * Everything it starts is stopped on exit, error or signal.
 */
import { cpus, loadavg } from 'node:os';
import { hostAddress } from '../test/support/referenceNet.js';
import { JanusConn, ok } from './support/janusConn.js';
import { arg, positiveInt } from './support/args.js';
import { CLK_TCK, cpuMsOf, descendants, readStat } from './support/proc.js';
import { EchoClient } from '../test/relay/support/client.js';
import { referenceJanusAvailable, startReferenceJanus } from '../test/support/janusReference.js';
import { startStack } from '../test/support/stack.js';
import { cleanup, cleanups } from './support/cleanup.js';
import { floorTable, measureWeriftFloor } from './connect/weriftFloor.js';
import { fmt, percentile, table } from './support/table.js';

// ---------------------------------------------------------------------------------------------- options

const CALLS = positiveInt(arg('calls') ?? process.env.BENCH_CALLS, 20, 'BENCH_CALLS');
const CONCURRENCY = positiveInt(arg('concurrency') ?? process.env.BENCH_CONCURRENCY, 10, 'BENCH_CONCURRENCY');
const ONLY = arg('only') ?? process.env.BENCH_ONLY;
if (ONLY !== undefined && !['floor', 'ours', 'reference'].includes(ONLY))
  throw new Error(`--only must be floor, ours or reference, got ${ONLY}`);
/**
 * Untimed calls before the phases. Servers run for days: what a call costs is what it costs a warm
 * server. A freshly started relay pays V8's compiler for its first hundred calls or so (21–27 ms of relay
 * CPU per call over 30 calls, ~14 over 120), the reference Janus (C) nothing: `--warmup=1` measures cold.
 */
const WARMUP = positiveInt(arg('warmup') ?? process.env.BENCH_WARMUP, 60, 'BENCH_WARMUP');
const WARMUP_WIDTH = 5;
const CALL_TIMEOUT_MS = 30_000;
const SEND_INTERVAL_MS = 20;
const ECHO = 'janus.plugin.echotest';

// ---------------------------------------------------------------------------------------------- cleanup

/** Runs `fn` once, however many times the result is called (stop functions are both registered and called). */
function once(fn: () => Promise<void> | void): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= Promise.resolve().then(fn));
}

// ---------------------------------------------------------------------------------------------- one call

interface CallTimes {
  answerMs: number;
  iceMs: number; // the client's ICE agent reports connected (DTLS starts then)
  webrtcupMs: number;
  echoMs: number;
}

/** Everything a call opened, so it can be torn down even when the call failed half-way. */
interface CallResources {
  conn?: JanusConn;
  client?: EchoClient;
  sessionId?: number;
  handleId?: number;
}

async function teardown(r: CallResources): Promise<void> {
  try {
    if (r.conn && r.sessionId !== undefined) {
      if (r.handleId !== undefined)
        await r.conn
          .request({ janus: 'hangup', session_id: r.sessionId, handle_id: r.handleId })
          .catch(() => undefined);
      await r.conn.request({ janus: 'destroy', session_id: r.sessionId }).catch(() => undefined);
    }
  } finally {
    await r.client?.close().catch(() => undefined);
    await r.conn?.close().catch(() => undefined);
  }
}

async function oneCall(wsUrl: string, clientAddress: string | undefined, r: CallResources): Promise<CallTimes> {
  const conn = (r.conn = await JanusConn.connect(wsUrl));
  r.sessionId = ok(await conn.request({ janus: 'create' }), 'success', 'create').data?.id as number;
  const sessionId = r.sessionId;
  r.handleId = ok(await conn.request({ janus: 'attach', session_id: sessionId, plugin: ECHO }), 'success', 'attach')
    .data?.id as number;
  const handleId = r.handleId;

  const client = (r.client = new EchoClient());
  if (clientAddress)
    client.pc.setConfiguration({
      iceInterfaceAddresses: { udp4: clientAddress },
      iceAdditionalHostAddresses: [clientAddress],
    });
  const keys = [client.addMedia('audio'), client.addMedia('video')];
  // First echoed tagged packet: our own hook on the received tracks (EchoClient only counts them).
  let firstEcho: number | undefined;
  let echoed!: () => void;
  const echoedP = new Promise<void>((res) => (echoed = res));
  client.pc.onTrack.subscribe((track) => {
    const kind = track.kind as 'audio' | 'video';
    track.onReceiveRtp.subscribe((rtp) => {
      if (firstEcho !== undefined || rtp.payload.length < 5 || rtp.payload[0] !== 0x7e) return;
      if (!client.sentTags[kind].has(rtp.payload.readUInt32BE(1))) return;
      firstEcho = performance.now();
      echoed();
    });
  });
  // werift reports 'completed' once gathering ends, before any check: count only after 'checking'.
  let iceAt: number | undefined;
  let checking = false;
  client.pc.iceConnectionStateChange.subscribe((s) => {
    if (s === 'checking') checking = true;
    else if ((s === 'connected' || s === 'completed') && checking && iceAt === undefined) iceAt = performance.now();
  });
  // The client starts sending as soon as its PeerConnection is connected.
  let connectedAt: number | undefined;
  client.pc.connectionStateChange.subscribe((s) => {
    if (s !== 'connected' || connectedAt !== undefined) return;
    connectedAt = performance.now();
    for (const k of keys) client.startSending(k, SEND_INTERVAL_MS);
  });
  const offer = await client.createOffer(true);

  let t0 = 0;
  const ack = await conn.request(
    {
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: { audio: true, video: true },
      jsep: { type: 'offer', sdp: offer },
    },
    (t) => (t0 = t),
  );
  ok(ack, 'ack', 'message');
  const webrtcupP = conn.waitFor((m) => m.janus === 'webrtcup' && m.sender === handleId, 'webrtcup', CALL_TIMEOUT_MS);
  webrtcupP.catch(() => undefined); // awaited below; avoid an unhandled rejection if the answer fails first
  const ev = await conn.waitFor((m) => m.janus === 'event' && m.transaction === ack.transaction, 'echotest answer');
  const data = ev.msg.plugindata?.data as Record<string, unknown> | undefined;
  if (data?.result !== 'ok' || ev.msg.jsep?.type !== 'answer')
    throw new Error(`echotest answer: ${JSON.stringify(ev.msg).slice(0, 300)}`);
  await client.acceptAnswer(ev.msg.jsep.sdp as string);

  const up = await webrtcupP;
  let echoTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    echoedP,
    new Promise((_, rej) => {
      echoTimer = setTimeout(
        () =>
          rej(
            new Error(
              `no echoed packet within ${CALL_TIMEOUT_MS} ms (client ${client.pc.connectionState}, sent ${client.sentTags.audio.size}+${client.sentTags.video.size})`,
            ),
          ),
        CALL_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(echoTimer));
  return { answerMs: ev.at - t0, iceMs: (iceAt ?? NaN) - t0, webrtcupMs: up.at - t0, echoMs: firstEcho! - t0 };
}

async function timedCall(wsUrl: string, clientAddress: string | undefined): Promise<CallTimes> {
  const r: CallResources = {};
  try {
    return await oneCall(wsUrl, clientAddress, r);
  } finally {
    await teardown(r);
  }
}

// ---------------------------------------------------------------------------------------------- runs

interface Stats {
  p50: number;
  p95: number;
  max: number;
}

interface PhaseResult {
  mode: 'sequential' | 'concurrent';
  ok: number;
  errors: number;
  firstError?: string;
  seconds: number;
  answer: Stats;
  ice: Stats;
  webrtcup: Stats;
  echo: Stats;
  serverCpuPerCallMs: number;
  /** The same, per server process (`comm:pid`), to see which tier pays. */
  serverCpuPerCallByProcess: string;
  clientCpuPerCallMs: number;
  /** Ours: the relays' CPU per call alone (to set beside the werift floor). */
  relayCpuPerCallMs?: number;
}

interface TargetResult {
  target: string;
  phases: PhaseResult[];
  processes: string;
}

function stats(values: number[]): Stats {
  const s = values.filter(Number.isFinite);
  return { p50: percentile(s, 0.5), p95: percentile(s, 0.95), max: s.length ? Math.max(...s) : NaN };
}

async function phase(
  mode: 'sequential' | 'concurrent',
  wsUrl: string,
  clientAddress: string | undefined,
  serverPids: number[],
  relayPids: number[] = [],
): Promise<PhaseResult> {
  const width = mode === 'sequential' ? 1 : Math.min(CONCURRENCY, CALLS);
  const times: CallTimes[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const cpu0 = cpuMsOf(serverPids);
  const cpuByPid0 = serverPids.map((pid) => readStat(pid)?.cpuMs ?? 0);
  const relayCpu0 = cpuMsOf(relayPids);
  const client0 = process.cpuUsage();
  const wall0 = performance.now();
  const worker = async () => {
    while (next < CALLS) {
      next++;
      try {
        times.push(await timedCall(wsUrl, clientAddress));
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  const seconds = (performance.now() - wall0) / 1000;
  const client1 = process.cpuUsage(client0);
  const serverCpuMs = cpuMsOf(serverPids) - cpu0;
  const relayCpuMs = cpuMsOf(relayPids) - relayCpu0;
  const n = times.length;
  const byProcess = serverPids
    .map((pid, i) => ({ pid, ms: (readStat(pid)?.cpuMs ?? 0) - cpuByPid0[i]! }))
    .filter((p) => p.ms > 0)
    .map((p) => `${readStat(p.pid)?.comm ?? '?'}:${p.pid} ${n ? (p.ms / n).toFixed(1) : '-'}`)
    .join(', ');
  return {
    mode,
    ok: n,
    errors,
    firstError,
    seconds,
    answer: stats(times.map((t) => t.answerMs)),
    ice: stats(times.map((t) => t.iceMs)),
    webrtcup: stats(times.map((t) => t.webrtcupMs)),
    echo: stats(times.map((t) => t.echoMs)),
    serverCpuPerCallMs: n ? serverCpuMs / n : NaN,
    serverCpuPerCallByProcess: byProcess,
    clientCpuPerCallMs: n ? (client1.user + client1.system) / 1000 / n : NaN,
    ...(relayPids.length > 0 ? { relayCpuPerCallMs: n ? relayCpuMs / n : NaN } : {}),
  };
}

async function runAgainst(
  target: string,
  wsUrl: string,
  clientAddress: string | undefined,
  serverPids: () => number[],
  relayPids: number[] = [],
): Promise<TargetResult> {
  // Untimed calls first (WARMUP), WARMUP_WIDTH at a time: module loading and JIT on both sides.
  let warm = 0;
  const warmer = async () => {
    while (warm < WARMUP) {
      warm++;
      await timedCall(wsUrl, clientAddress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WARMUP_WIDTH, WARMUP) }, warmer));
  const pids = serverPids();
  if (pids.length === 0) throw new Error(`${target}: no server process found`);
  const phases: PhaseResult[] = [];
  for (const mode of ['sequential', 'concurrent'] as const) {
    const p = await phase(mode, wsUrl, clientAddress, pids, relayPids);
    console.log(
      `  ${target} ${mode}: ${p.ok} ok, ${p.errors} errors in ${p.seconds.toFixed(1)} s${p.firstError ? ` (first error: ${p.firstError})` : ''}; server CPU ms/call by process: ${p.serverCpuPerCallByProcess || '-'}`,
    );
    phases.push(p);
  }
  return { target, phases, processes: pids.map((p) => `${readStat(p)?.comm ?? '?'}:${p}`).join(',') };
}

async function benchOurs(): Promise<TargetResult> {
  // The Worker straight from workerd (no wrangler dev proxy in front), as in production.
  const stack = await startStack({ LOG_LEVEL: 'warn', EDGE_RUNNER: 'miniflare' });
  const stop = once(async () => void (await stack.stop()));
  cleanups.push(stop);
  try {
    // Everything under us is the stack: scripts/start.ts, wrangler, workerd and the relay.
    const serverPids = () => descendants(process.pid).map((p) => p.pid);
    console.log(
      `ours: stack on ${stack.baseUrl}; relays ${stack.relays.map((r) => `${r.id} pid ${r.pid}`).join(', ')}`,
    );
    const relayPids = stack.relays.map((r) => r.pid);
    return await runAgainst('ours', stack.wsUrl, undefined, serverPids, relayPids);
  } finally {
    await stop();
  }
}

async function benchReference(): Promise<TargetResult | undefined> {
  if (!referenceJanusAvailable()) {
    console.log(
      'reference: skipped (janus not installed: apt-get install janus, or ../shared/tools/janus-reference.sh missing)',
    );
    return undefined;
  }
  const ref = await startReferenceJanus();
  if (!ref) return undefined;
  const stop = once(() => ref.stop());
  cleanups.push(stop);
  try {
    const addr = hostAddress();
    console.log(
      `reference: janus pid ${ref.pid} on ${ref.wsUrl}; client ICE on ${addr} (janus has no loopback candidate)`,
    );
    return await runAgainst('reference', ref.wsUrl, addr, () => [ref.pid]);
  } finally {
    await stop();
  }
}

// ---------------------------------------------------------------------------------------------- report

function ratio(a: number, b: number): string {
  return Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-';
}

function report(results: TargetResult[]): void {
  const metrics = ['answer', 'ice', 'webrtcup', 'echo'] as const;
  const header = ['target', 'mode', 'ok', 'err'];
  for (const m of metrics) header.push(`${m} p50`, `p95`, `max`);
  header.push('srv CPU ms/call', 'client CPU ms/call');
  const rows: string[][] = [header];
  const ours = results.find((r) => r.target === 'ours');
  const ref = results.find((r) => r.target === 'reference');
  for (const mode of ['sequential', 'concurrent'] as const) {
    for (const r of results) {
      const p = r.phases.find((x) => x.mode === mode)!;
      const row = [
        r.target,
        mode === 'concurrent' ? `concurrent x${Math.min(CONCURRENCY, CALLS)}` : mode,
        String(p.ok),
        String(p.errors),
      ];
      for (const m of metrics) row.push(fmt(p[m].p50), fmt(p[m].p95), fmt(p[m].max));
      row.push(fmt(p.serverCpuPerCallMs), fmt(p.clientCpuPerCallMs));
      rows.push(row);
    }
    if (ours && ref) {
      const o = ours.phases.find((x) => x.mode === mode)!;
      const f = ref.phases.find((x) => x.mode === mode)!;
      const row = ['ours/reference', '', '', ''];
      for (const m of metrics)
        row.push(ratio(o[m].p50, f[m].p50), ratio(o[m].p95, f[m].p95), ratio(o[m].max, f[m].max));
      row.push(ratio(o.serverCpuPerCallMs, f.serverCpuPerCallMs), '');
      rows.push(row);
    }
  }
  console.log(`\n(all times in ms from sending the offer)\n${table(rows, 2)}`);
  for (const r of results) console.log(`${r.target}: server processes ${r.processes}`);
}

async function main(): Promise<void> {
  console.log(
    `connect bench: ${WARMUP} untimed calls, then ${CALLS} EchoTest calls sequential, then ${CALLS} with ${Math.min(CONCURRENCY, CALLS)} in flight; werift client, audio+video, tagged RTP every ${SEND_INTERVAL_MS} ms once connected; ${cpus().length} CPUs, CLK_TCK ${CLK_TCK}`,
  );
  const load0 = loadavg();
  console.log(`load average before the run: ${load0.map((l) => l.toFixed(2)).join(' ')}`);
  if (load0[0]! > cpus().length / 2)
    console.log(`warning: other processes compete for the CPUs, figures will be noisy`);
  const results: TargetResult[] = [];
  // the floor first, on a machine no server of this run has loaded yet
  const floor =
    ONLY === undefined || ONLY === 'floor' ? await measureWeriftFloor(CALLS, CONCURRENCY, WARMUP) : undefined;
  if (ONLY === undefined || ONLY === 'ours') results.push(await benchOurs());
  if (ONLY === undefined || ONLY === 'reference') {
    const r = await benchReference();
    if (r) results.push(r);
  }
  if (results.length > 0) report(results);
  const ours = results.find((r) => r.target === 'ours');
  const relayCpuMs = (mode: string) => ours?.phases.find((p) => p.mode === mode)?.relayCpuPerCallMs;
  if (floor) console.log(`\n${floorTable(floor, Math.min(CONCURRENCY, CALLS), relayCpuMs)}`);
  console.log(
    `(srv CPU: /proc utime+stime of every process under our stack (start.ts, wrangler, workerd, relay) or of janus, over the phase, per successful call. client CPU: this bench process, werift included; it shares the machine with the server. 1-min load average now ${loadavg()[0]!.toFixed(2)})`,
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
