/**
 * The AudioBridge workload over the Janus API, the same for our stack and the reference Janus: one
 * room of N werift participants (each its own session, as browsers), T of them talking (distinct
 * tones) and the rest sending Opus silence, measured over a window. One talker, the prober, alternates
 * 800 ms of silence and 500 ms of a 1 kHz tone; one silent participant, the listener, decodes its mix
 * and notes when the tone starts: the added latency is that arrival minus the send of the first tone
 * frame (client jitter, the server's jitter buffer and mixing tick, and its encoding included).
 */
import { withTimeout } from '../fanout/reference.js';
import { JanusConn, ok, type Msg } from '../support/janusConn.js';
import { cpuMsOf, readStat, rssKb } from '../support/proc.js';
import { BenchVoice, PROBE_AMPLITUDE } from './voice.js';

const AUDIOBRIDGE = 'janus.plugin.audiobridge';
const REQUEST_TIMEOUT_MS = 15_000;
const TICK_MS = 20;
const PROBE_FREQ = 1000;
/** The other talkers' tones: none near the prober's. */
const TALKER_FREQS = [330, 440, 550, 660, 770];
const PROBE_SILENT_TICKS = 40;
const PROBE_TONE_TICKS = 25;
/** An onset heard later than this after the send is not that send's (it was lost). */
const MAX_LATENCY_MS = 1000;

export interface AudioBridgeOptions {
  participants: number;
  /** Participants talking (the prober among them); all of them when >= participants. */
  talkers: number;
  seconds: number;
  warmup: number;
  samplingRate: number;
}

export interface AudioBridgeTarget {
  name: string;
  wsUrl: string;
  /** The process that mixes (the relay, or janus). */
  serverPid: number;
  /** Every process of the server. */
  stackPids: () => number[];
  /** The address clients announce (the reference Janus will not pair loopback candidates). */
  clientAddress?: string;
}

export interface AudioBridgeRow {
  name: string;
  participants: number;
  talkers: number;
  /** Server CPU over the window, % of one core. */
  serverCpuPercent: number;
  /** Server CPU per participant, ms per second. */
  cpuMsPerParticipantSecond: number;
  /** Server CPU per mixed frame (one 20 ms tick of the room), µs. */
  cpuUsPerMixedFrame: number;
  stackCpuPercent: number;
  latencies: number[];
  onsetsSent: number;
  /** Mix packets a participant received per second (50 when nothing is lost). */
  packetsPerSecond: number;
  rssKb: number;
}

/** An AudioBridge request on a handle: its event (with any JSEP), or throws on a plugin error. */
async function ask(conn: JanusConn, session: number, handle: number, body: object, jsep?: object): Promise<Msg> {
  const what = `audiobridge ${String((body as { request?: string }).request)}`;
  const ack = await conn.request({ janus: 'message', session_id: session, handle_id: handle, body, jsep });
  ok(ack, 'ack', what);
  const { msg } = await conn.waitFor((m) => m.janus === 'event' && m.transaction === ack.transaction, what);
  if (msg.plugindata?.data.error_code !== undefined) throw new Error(`${what}: ${JSON.stringify(msg).slice(0, 300)}`);
  return msg;
}

interface Member {
  session: number;
  voice: BenchVoice;
}

async function joinRoom(conn: JanusConn, room: number, i: number, target: AudioBridgeTarget): Promise<Member> {
  const session = ok(await conn.request({ janus: 'create' }), 'success', 'create').data!.id!;
  const handle = ok(
    await conn.request({ janus: 'attach', session_id: session, plugin: AUDIOBRIDGE }),
    'success',
    'attach',
  ).data!.id!;
  const voice = new BenchVoice(target.clientAddress);
  const joined = await ask(
    conn,
    session,
    handle,
    { request: 'join', room, display: `p${i}` },
    {
      type: 'offer',
      sdp: await voice.offer(),
    },
  );
  if (joined.jsep?.type !== 'answer') throw new Error(`join: ${JSON.stringify(joined).slice(0, 300)}`);
  await voice.accept(joined.jsep.sdp);
  await voice.connected(REQUEST_TIMEOUT_MS);
  return { session, voice };
}

export async function runAudioBridgeWorkload(
  target: AudioBridgeTarget,
  opts: AudioBridgeOptions,
): Promise<AudioBridgeRow> {
  const conn = await JanusConn.connect(target.wsUrl);
  const members: Member[] = [];
  const room = 100_000 + Math.floor(Math.random() * 1e6);
  let keepalive: NodeJS.Timeout | undefined;
  let sender: NodeJS.Timeout | undefined;
  try {
    const admin = ok(await conn.request({ janus: 'create' }), 'success', 'create').data!.id!;
    const handle = ok(
      await conn.request({ janus: 'attach', session_id: admin, plugin: AUDIOBRIDGE }),
      'success',
      'attach',
    ).data!.id!;
    const created = await conn.request({
      janus: 'message',
      session_id: admin,
      handle_id: handle,
      body: { request: 'create', room, sampling_rate: opts.samplingRate },
    });
    if (created.plugindata?.data.audiobridge !== 'created')
      throw new Error(`create room: ${JSON.stringify(created).slice(0, 300)}`);
    keepalive = setInterval(() => {
      for (const s of [admin, ...members.map((m) => m.session)])
        void conn.request({ janus: 'keepalive', session_id: s }).catch(() => undefined);
    }, 15_000);
    for (let i = 0; i < opts.participants; i++)
      members.push(await withTimeout(joinRoom(conn, room, i, target), REQUEST_TIMEOUT_MS * 2, `join #${i}`));
    conn.discardKept();

    // members[0] is the prober, members[1..talkers-1] talk, the last one listens.
    const talkers = Math.min(opts.talkers, opts.participants);
    // The other talkers share what is left of the 16-bit range under the prober's tone.
    const amplitude = Math.min(PROBE_AMPLITUDE, Math.floor(24_000 / Math.max(1, talkers - 1)));
    members.forEach((m, i) => {
      m.voice.freq = i > 0 && i < talkers ? TALKER_FREQS[i % TALKER_FREQS.length]! : 0;
      m.voice.amplitude = amplitude;
    });
    const prober = members[0]!.voice;
    prober.amplitude = PROBE_AMPLITUDE;
    const listener = members[members.length - 1]!.voice;
    listener.listenFor(PROBE_FREQ);
    const onsetsSent: number[] = [];
    let tick = 0;
    const sendTick = () => {
      const phase = tick++ % (PROBE_SILENT_TICKS + PROBE_TONE_TICKS);
      prober.freq = phase >= PROBE_SILENT_TICKS ? PROBE_FREQ : 0;
      if (phase === PROBE_SILENT_TICKS) onsetsSent.push(performance.now());
      for (const m of members) m.voice.send();
    };
    // Frames go out on an absolute 20 ms grid (late ones are caught up): a setInterval drifts slower
    // than real time, and the servers' jitter buffers would then always run empty, hiding their depth.
    const start = performance.now();
    const schedule = () => {
      while (start + tick * TICK_MS <= performance.now()) sendTick();
      sender = setTimeout(schedule, start + tick * TICK_MS - performance.now());
    };
    schedule();

    await new Promise((r) => setTimeout(r, opts.warmup * 1000));
    const cpu0 = { server: readStat(target.serverPid)?.cpuMs ?? 0, stack: cpuMsOf(target.stackPids()) };
    const received0 = members.reduce((sum, m) => sum + m.voice.packetsReceived, 0);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, opts.seconds * 1000));
    const t1 = performance.now();
    const cpu1 = { server: readStat(target.serverPid)?.cpuMs ?? 0, stack: cpuMsOf(target.stackPids()) };
    const received = members.reduce((sum, m) => sum + m.voice.packetsReceived, 0) - received0;
    const rss = rssKb(target.serverPid).rss;
    clearTimeout(sender);
    sender = undefined;

    const sent = onsetsSent.filter((t) => t >= t0 && t < t1 - MAX_LATENCY_MS);
    const latencies = sent.flatMap((s) => {
      const heard = listener.onsets.find((h) => h > s && h - s < MAX_LATENCY_MS);
      return heard === undefined ? [] : [heard - s];
    });
    const elapsed = (t1 - t0) / 1000;
    const serverMs = cpu1.server - cpu0.server;
    await conn.request({
      janus: 'message',
      session_id: admin,
      handle_id: handle,
      body: { request: 'destroy', room },
    });
    return {
      name: target.name,
      participants: opts.participants,
      talkers,
      serverCpuPercent: serverMs / elapsed / 10,
      cpuMsPerParticipantSecond: serverMs / elapsed / opts.participants,
      cpuUsPerMixedFrame: (serverMs * 1000) / (elapsed * (1000 / TICK_MS)),
      stackCpuPercent: (cpu1.stack - cpu0.stack) / 10 / elapsed,
      latencies,
      onsetsSent: sent.length,
      packetsPerSecond: received / elapsed / opts.participants,
      rssKb: rss,
    };
  } finally {
    clearTimeout(sender);
    clearInterval(keepalive);
    for (const m of members) await m.voice.close();
    await conn.close();
  }
}
