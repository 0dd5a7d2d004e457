/**
 * The AudioBridge under churn (issue 14's deadlock test), through the real stack: SLOTS (6) werift
 * participants with media in one room for AB_CHURN_SECONDS (default 60), each joining, talking or
 * silent, muting itself, being muted by a moderator, and then going away by one of the rotating
 * ENDINGS: a `leave`, a Janus `hangup`, its PeerConnection closed with no word (the relay hears the
 * DTLS alert), its WebSocket closed (transport gone), a moderator's `kick`, its session destroyed,
 * its handle detached. Meanwhile a prober sends keepalives and creates and destroys sessions.
 * No request may take 2 s or more, keepalive round trips must have a p99 under 100 ms, the room's
 * participant list at the end must be exactly the participants still in it, and once they leave the
 * relay's AudioBridge resources (mixers, participants, Opus codecs, sockets, timers) and the edge's
 * sessions and handles are back to their baseline.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebRtcVoice } from '../relay/audiobridge/support/voiceClient.js';
import { startStack, type Stack } from '../support/stack.js';
import { AbParticipant } from './support/abParticipant.js';
import { getJsonOnFreshConnection as json } from '../support/getJson.js';

const SECONDS = Number(process.env.AB_CHURN_SECONDS ?? 60);
const SLOTS = 6;
const SECRET = 'churn';
const ENDINGS = ['leave', 'hangup', 'pcclose', 'wsclose', 'kick', 'destroy', 'detach'] as const;
type Ending = (typeof ENDINGS)[number];
/** Slots 0 and 1 talk (440 and 880 Hz); the others send silence, as most participants of a call do. */
const TONES = [440, 880];
const SLOW_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

interface ProbeResult {
  rtts: number[];
  requests: Array<[string, number]>;
  failures: string[];
}

/** The prober's thread (CommonJS, as `eval` workers are): a Janus WebSocket client of its own. */
const PROBER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require('ws');
const { url, until } = workerData;
const out = { rtts: [], requests: [], failures: [] };
const ws = new WebSocket(url, 'janus-protocol');
const pending = new Map();
let tx = 0;
ws.on('message', (d) => {
  const m = JSON.parse(d.toString());
  const p = pending.get(m.transaction);
  if (p) { pending.delete(m.transaction); p(m); }
});
function request(what, body) {
  const transaction = 'p' + ++tx;
  const started = performance.now();
  return new Promise((resolve) => {
    pending.set(transaction, (m) => {
      const ms = performance.now() - started;
      out.requests.push([what, ms]);
      if (what === 'keepalive') out.rtts.push(ms);
      resolve(m);
    });
    ws.send(JSON.stringify({ ...body, transaction }));
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
ws.once('open', async () => {
  try {
    const session = (await request('create', { janus: 'create' })).data.id;
    for (let n = 1; Date.now() < until; n++) {
      const ack = await request('keepalive', { janus: 'keepalive', session_id: session });
      if (ack.janus !== 'ack') out.failures.push('keepalive: ' + JSON.stringify(ack));
      if (n % 5 === 0) {
        const other = (await request('create', { janus: 'create' })).data.id;
        const gone = await request('destroy', { janus: 'destroy', session_id: other });
        if (gone.janus !== 'success') out.failures.push('destroy: ' + JSON.stringify(gone));
      }
      await sleep(100);
    }
    await request('destroy', { janus: 'destroy', session_id: session });
  } catch (err) {
    out.failures.push('prober: ' + String(err));
  }
  ws.close();
  parentPort.postMessage(out);
});
`;

/** Every request's duration, by what it was; the slow ones named. */
class Timings {
  readonly slow: string[] = [];
  readonly count = new Map<string, number>();
  max = 0;

  async time<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      const ms = performance.now() - started;
      this.max = Math.max(this.max, ms);
      this.count.set(what, (this.count.get(what) ?? 0) + 1);
      if (ms >= SLOW_MS) this.slow.push(`${what}: ${ms.toFixed(0)} ms`);
    }
  }
}

describe('AudioBridge under churn', () => {
  let stack: Stack;
  let admin: AbParticipant;
  let relayUrl: string;
  const room = 9_000_000 + Math.floor(Math.random() * 1e6);
  const timings = new Timings();
  const failures: string[] = [];
  /** Participants still in the room at the end, closed after the test. */
  const residents: Array<{ p: AbParticipant; voice: WebRtcVoice }> = [];

  beforeAll(async () => {
    stack = await startStack();
    relayUrl = stack.relays[0]!.httpUrl;
    admin = await AbParticipant.connect(stack);
    expect(await admin.sync({ request: 'create', room, secret: SECRET })).toMatchObject({ audiobridge: 'created' });
  }, 120_000);
  afterAll(async () => {
    for (const { p, voice } of residents) {
      await voice.close().catch(() => undefined);
      await p.close().catch(() => undefined);
    }
    await admin?.close().catch(() => undefined);
    await stack?.stop();
  });

  const moderate = (request: string, body: Record<string, unknown> = {}) =>
    timings.time(`moderator ${request}`, () => admin.sync({ request, room, secret: SECRET, ...body }));

  /** One participant's life: join with media, a few seconds of muting, then `ending`. */
  async function live(slot: number, ending: Ending | 'stay'): Promise<number | string> {
    const p = await timings.time('connect', () => AbParticipant.connect(stack));
    const voice = new WebRtcVoice(TONES[slot]);
    try {
      const offer = { type: 'offer', sdp: await voice.offer() };
      const joined = await timings.time('join', () => p.ask({ request: 'join', room, display: `s${slot}` }, offer));
      const data = joined.plugindata?.data as Record<string, any> | undefined;
      if (data?.audiobridge !== 'joined') throw new Error(`join: ${JSON.stringify(joined)}`);
      const id = data.id as number | string;
      await voice.accept(joined.jsep.sdp);
      await voice.connected(15_000);
      voice.start();
      if (ending === 'stay') {
        residents.push({ p, voice });
        return id;
      }
      for (let i = 0; i < 2; i++) {
        await sleep(300 + Math.random() * 1200);
        if (Math.random() < 0.5) {
          await timings.time('configure muted', () => p.ask({ request: 'configure', muted: true }));
          await timings.time('configure unmuted', () => p.ask({ request: 'configure', muted: false }));
        } else {
          await moderate('mute', { id });
          await moderate('unmute', { id });
        }
      }
      await end(p, voice, id, ending);
      return id;
    } finally {
      if (ending !== 'stay') {
        await voice.close().catch(() => undefined);
        await p.close().catch(() => undefined);
      }
    }
  }

  /** The participant goes away by `ending`; resolves when the gateway has taken it in. */
  async function end(p: AbParticipant, voice: WebRtcVoice, id: number | string, ending: Ending): Promise<void> {
    const s = { session_id: p.sessionId };
    const h = { ...s, handle_id: p.handleId };
    switch (ending) {
      case 'leave': {
        const left = await timings.time('leave', () => p.ask({ request: 'leave' }));
        if (left.plugindata?.data?.audiobridge !== 'left') throw new Error(`leave: ${JSON.stringify(left)}`);
        return;
      }
      case 'hangup':
        await timings.time('hangup', () => p.janus.request({ janus: 'hangup', ...h }));
        return;
      case 'pcclose':
        // No signalling: the relay hears the DTLS close alert, and the gateway hangs the handle up.
        await voice.close();
        // werift sends no DTLS close alert (a browser does): the relay's ICE consent expires (30 s).
        await p.janus.waitEvent((m) => m.janus === 'hangup' && m.sender === p.handleId, 45_000, 'hangup');
        return;
      case 'wsclose':
        await p.close();
        return;
      case 'kick':
        await moderate('kick', { id });
        await p.waitData((d) => d.kicked === id, 'kicked');
        return;
      case 'destroy':
        await timings.time('destroy', () => p.janus.request({ janus: 'destroy', ...s }));
        return;
      case 'detach':
        await timings.time('detach', () => p.janus.request({ janus: 'detach', ...h }));
        return;
    }
  }

  /**
   * Keepalive round trips, and sessions created and destroyed, until `until`, from a thread of its
   * own: the werift participants' Opus work on this thread's event loop must not count as the gateway's.
   */
  async function probe(until: number): Promise<number[]> {
    const worker = new Worker(PROBER, { eval: true, workerData: { url: stack.wsUrl, until } });
    const result = await new Promise<ProbeResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    failures.push(...result.failures);
    for (const [what, ms] of result.requests) {
      timings.count.set(what, (timings.count.get(what) ?? 0) + 1);
      timings.max = Math.max(timings.max, ms);
      if (ms >= SLOW_MS) timings.slow.push(`${what}: ${ms.toFixed(0)} ms`);
    }
    return result.rtts;
  }

  const resources = () => json(`${relayUrl}/debug/resources?gc=1`, `Bearer ${stack.relaySecret}`);
  const edgeCounts = () => json(`${stack.baseUrl}/health?counts=1`);
  const listed = async () =>
    ((await moderate('listparticipants')).participants as Array<{ id: number | string }>).map((p) => p.id).sort();

  it(
    `${SLOTS} participants churn for ${SECONDS} s: no request stalls, the list is exact, resources return`,
    async () => {
      const relayBase = await resources();
      const edgeBase = await edgeCounts();
      const until = Date.now() + SECONDS * 1000;
      const ended = new Map<Ending, number>();
      let next = 0;
      const slot = async (i: number) => {
        while (Date.now() < until) {
          const ending = ENDINGS[next++ % ENDINGS.length]!;
          try {
            await live(i, ending);
            ended.set(ending, (ended.get(ending) ?? 0) + 1);
          } catch (err) {
            failures.push(`slot ${i} (${ending}): ${String(err)}`);
          }
        }
        // The last ones stay: the room must list exactly them.
        return live(i, 'stay');
      };
      const [rtts, ...stayers] = await Promise.all([probe(until), ...Array.from({ length: SLOTS }, (_, i) => slot(i))]);
      const expected = [...stayers].sort();

      // Those that went without a word (PeerConnection or WebSocket closed) are gone once the gateway saw it.
      let ids: Array<number | string> = [];
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(500)) {
        ids = await listed();
        if (JSON.stringify(ids) === JSON.stringify(expected)) break;
      }
      expect(ids).toEqual(expected);
      // A moderator's mute and unmute of someone still in the room still work at the end.
      await moderate('mute', { id: pick(stayers) });
      await moderate('unmute_room');

      // Everyone leaves (kick_all): the relay and the edge return to their baseline.
      await moderate('kick_all');
      let relay: Record<string, any> = {};
      let edge: Record<string, any> = {};
      const atBaseline = () =>
        relay.audiobridge.mixers === 0 &&
        relay.audiobridge.participants === 0 &&
        relay.peers === 0 &&
        relay.udpHandles === relayBase.udpHandles &&
        relay.socketFds === relayBase.socketFds &&
        relay.timers <= relayBase.timers &&
        edge.sessions === edgeBase.sessions + SLOTS &&
        edge.handles === edgeBase.handles + SLOTS;
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(500)) {
        relay = await resources();
        edge = await edgeCounts();
        if (atBaseline()) break;
      }
      if (process.env.VERBOSE)
        console.info(
          `[ab-churn] ${SECONDS} s, endings ${JSON.stringify(Object.fromEntries(ended))}, requests ${JSON.stringify(Object.fromEntries(timings.count))}, max ${timings.max.toFixed(0)} ms, keepalive p99 ${p99(rtts).toFixed(1)} ms (${rtts.length}); relay ${JSON.stringify(relayBase)} → ${JSON.stringify(relay)}`,
        );
      expect(failures).toEqual([]);
      expect(timings.slow).toEqual([]);
      expect(p99(rtts)).toBeLessThan(100);
      for (const e of ENDINGS) expect(ended.get(e), `participants ended by ${e}`).toBeGreaterThan(0);
      expect(relay.audiobridge).toMatchObject({ mixers: 0, participants: 0, decoders: 0, encoders: 0, rtpSockets: 0 });
      expect(relay.audiobridge.framesMixed).toBeGreaterThan(relayBase.audiobridge.framesMixed);
      expect({ peers: relay.peers, portsInUse: relay.portsInUse }).toEqual({ peers: 0, portsInUse: 0 });
      expect({ udpHandles: relay.udpHandles, socketFds: relay.socketFds }).toEqual({
        udpHandles: relayBase.udpHandles,
        socketFds: relayBase.socketFds,
      });
      expect(relay.timers).toBeLessThanOrEqual(relayBase.timers);
      // The stayers' sessions and handles remain (kicked, not gone); everything else is released.
      expect({ sessions: edge.sessions, handles: edge.handles, peerconnections: edge.peerconnections }).toEqual({
        sessions: edgeBase.sessions + SLOTS,
        handles: edgeBase.handles + SLOTS,
        peerconnections: 0,
      });
    },
    120_000 + SECONDS * 2000,
  );
});
