/**
 * The fan-out workload over the Janus API: one VideoRoom with one werift publisher
 * (`joinandconfigure` with a VP8-only offer) and N werift subscribers (`join` as
 * `ptype: "subscriber"` with `streams: [{feed}]`, then `start` with their answer), all on one
 * WebSocket, {@link HANDLES_PER_SESSION} handles per Janus session (our edge allows 64
 * PeerConnections per session). It runs against the reference Janus (Debian `janus`, started by
 * ../shared/tools/janus-reference.sh through test/support/janusReference.ts; a fresh one per N, so
 * its RSS is that of the run) and against our own stack as users run it (bench/fanout/stack.ts).
 */
import { readFileSync } from 'node:fs';
import type { JanusMsg } from '../../test/support/janusWs.js';
import { JanusWs } from '../../test/support/janusWs.js';
import { startReferenceJanus } from '../../test/support/janusReference.js';
import { PubClient, SubClient, VIDEOROOM } from '../../test/relay/sfu/support.js';
import { hostAddress, iceOn } from '../../test/support/referenceNet.js';
import type { SeqCounter } from '../../test/relay/sfu/seqCounter.js';
import { countAndDrop, measure, type FanoutOptions, type FanoutRow } from './measure.js';

const ROOM = 4242;
const PUBLISHER_ID = 1;
const REQUEST_TIMEOUT_MS = 15_000;
const HANDLES_PER_SESSION = 50;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`timeout waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s[s.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** A VideoRoom request on `handle`: its async event (with any JSEP), or throws on a plugin error. */
export async function videoroom(
  conn: JanusWs,
  session: number,
  handle: number,
  body: Record<string, unknown>,
  jsep?: { type: string; sdp: string },
): Promise<JanusMsg> {
  const what = `videoroom ${String(body.request)}`;
  const ack = await withTimeout(
    conn.request({ janus: 'message', session_id: session, handle_id: handle, body, ...(jsep ? { jsep } : {}) }),
    REQUEST_TIMEOUT_MS,
    what,
  );
  if (ack.janus !== 'ack') throw new Error(`${what}: ${JSON.stringify(ack).slice(0, 300)}`);
  const ev = await conn.waitEvent(
    (m) => m.janus === 'event' && m.transaction === ack.transaction,
    REQUEST_TIMEOUT_MS,
    what,
  );
  const data = ev.plugindata?.data as Record<string, unknown> | undefined;
  if (!data || data.error_code !== undefined) throw new Error(`${what}: ${JSON.stringify(ev).slice(0, 300)}`);
  return ev;
}

/**
 * Runs the workload for `n` subscribers against a fresh reference Janus. `onStop` receives the
 * function that stops Janus, so the caller can also run it on a signal.
 */
export async function runReference(
  n: number,
  opts: FanoutOptions,
  setupWorkers: number,
  onStop: (stop: () => Promise<void>) => void,
): Promise<FanoutRow> {
  const ref = await startReferenceJanus();
  if (!ref) throw new Error('reference Janus could not be started');
  let stopped: Promise<void> | undefined;
  const stopJanus = () =>
    (stopped ??= (async () => {
      ref.stop();
      // Wait for it to go, so the next run's Janus does not find the RTP ports still taken.
      for (let i = 0; i < 50 && alive(ref.pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive(ref.pid)) process.kill(ref.pid, 'SIGKILL');
    })());
  onStop(stopJanus);
  try {
    // Janus never gathers a loopback candidate: the clients use the host's address
    return await runJanusApiWorkload(
      {
        wsUrl: ref.wsUrl,
        serverPid: ref.pid,
        stackPids: () => [ref.pid],
        clientAddress: hostAddress(),
        name: 'reference',
      },
      n,
      opts,
      setupWorkers,
    );
  } finally {
    await stopJanus();
  }
}

/** A server speaking the Janus API: where to connect, and which processes to measure. */
export interface JanusApiTarget {
  wsUrl: string;
  /** The process media goes through (its CPU is the row's server figure, its RSS the row's). */
  serverPid: number;
  /** Every process of the server (the stack figure). */
  stackPids: () => number[];
  /** The address the werift clients gather on, when not loopback. */
  clientAddress?: string;
  name: string;
  /** Where the server's memory goes, read while every subscriber is still connected (our relay's /debug/resources). */
  memory?: () => Promise<Record<string, unknown>>;
}

/** The workload for `n` subscribers against `target`, measured. */
export async function runJanusApiWorkload(
  target: JanusApiTarget,
  n: number,
  opts: FanoutOptions,
  setupWorkers: number,
): Promise<FanoutRow> {
  const addr = target.clientAddress;
  const pub = new PubClient(PUBLISHER_ID, { audio: false });
  const subs: SubClient[] = [];
  let conn: JanusWs | undefined;
  let keepalive: NodeJS.Timeout | undefined;
  try {
    conn = await JanusWs.connect(target.wsUrl);
    const c = conn;
    const sessions: number[] = [];
    for (let i = 0; i <= n; i += HANDLES_PER_SESSION) sessions.push(await c.createSession());
    const session = sessions[0]!;
    // Janus drops a session after 60 s without a request; set-up of 100 subscribers can come close.
    keepalive = setInterval(() => {
      for (const s of sessions) void c.request({ janus: 'keepalive', session_id: s }).catch(() => undefined);
    }, 20_000);
    const attach = (s = session) => withTimeout(c.attach(s, VIDEOROOM), REQUEST_TIMEOUT_MS, 'attach');

    const pubHandle = await attach();
    const created = await withTimeout(
      c.request({
        janus: 'message',
        session_id: session,
        handle_id: pubHandle,
        body: {
          request: 'create',
          room: ROOM,
          description: 'bench fanout',
          publishers: 1,
          videocodec: 'vp8',
          bitrate: 0,
          fir_freq: 0,
        },
      }),
      REQUEST_TIMEOUT_MS,
      'create room',
    );
    if (created.plugindata?.data?.videoroom !== 'created')
      throw new Error(`create room: ${JSON.stringify(created).slice(0, 300)}`);

    const t0 = performance.now();
    if (addr) iceOn(pub.pc, addr); // before it gathers
    const offer = await pub.offer();
    const joined = await videoroom(
      c,
      session,
      pubHandle,
      { request: 'joinandconfigure', room: ROOM, ptype: 'publisher', id: PUBLISHER_ID, display: 'bench' },
      { type: 'offer', sdp: offer },
    );
    if (joined.jsep?.type !== 'answer')
      throw new Error(`joinandconfigure: no answer in ${JSON.stringify(joined).slice(0, 300)}`);
    await pub.accept(joined.jsep.sdp as string);
    await pub.connected(REQUEST_TIMEOUT_MS);
    // Janus accepts subscribers only once the publisher's PeerConnection is up.
    await c.waitEvent(
      (m) => m.janus === 'webrtcup' && m.sender === pubHandle,
      REQUEST_TIMEOUT_MS,
      'publisher webrtcup',
    );

    const counters: SeqCounter[] = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const subSession = sessions[Math.floor(++next / HANDLES_PER_SESSION)]!;
        const handle = await attach(subSession);
        const sub = new SubClient();
        subs.push(sub);
        if (addr) iceOn(sub.pc, addr);
        const attached = await videoroom(c, subSession, handle, {
          request: 'join',
          room: ROOM,
          ptype: 'subscriber',
          streams: [{ feed: PUBLISHER_ID }],
        });
        if (attached.jsep?.type !== 'offer')
          throw new Error(`subscriber join: no offer in ${JSON.stringify(attached).slice(0, 300)}`);
        const answer = await sub.answer(attached.jsep.sdp as string);
        await videoroom(c, subSession, handle, { request: 'start', room: ROOM }, { type: 'answer', sdp: answer });
        await sub.connected(REQUEST_TIMEOUT_MS);
        counters.push(countAndDrop(sub.pc));
      }
    };
    await Promise.all(Array.from({ length: setupWorkers }, worker));
    const setupS = (performance.now() - t0) / 1000;

    const row = await measure(target.serverPid, pub, counters, opts, setupS, target.stackPids());
    if (target.memory) row.serverMemory = await target.memory().catch((err: Error) => ({ error: err.message }));
    const hangups = c.events.filter((m) => m.janus === 'hangup').length;
    if (hangups > 0) console.log(`  ${target.name}: ${hangups} PeerConnection(s) hung up during the run`);
    return row;
  } finally {
    clearInterval(keepalive);
    pub.stop();
    await Promise.allSettled([pub.close(), ...subs.map((s) => s.close())]);
    await conn?.close().catch(() => undefined);
  }
}
