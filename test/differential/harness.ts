/**
 * Differential harness: runs one request script against a Janus-API server (the reference Janus or
 * our edge) and records a transcript, then reduces transcripts to comparable *shapes* (recursive key
 * sets and value types; literal values only where they matter: `janus`, error codes, plugin names)
 * and to the arrival order of each step's messages. Steps can carry offers from real werift
 * PeerConnections and answer the offers servers send (peers.ts).
 */
import WebSocket from 'ws';
import { Peers, type Jsep, type OfferSpec } from './peers.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Where a server under test answers. */
export interface Target {
  name: string;
  httpUrl: string; // http://host:port/janus
  wsUrl: string; // Janus API WebSocket (subprotocol janus-protocol)
  adminUrl: string; // http://host:port/admin
  adminSecret: string;
  /** Where the harness's werift clients bind and what they announce (see support/referenceNet.ts). */
  iceAddress: string;
}

/**
 * One step of a script. String values of the form `$name` in `body` (anywhere, recursively) and
 * `$name` segments in `path` are replaced by ids saved by earlier steps (`save`).
 */
export interface Step {
  /** Label shown in diffs; defaults to the verb. */
  name?: string;
  /**
   * http: POST httpUrl+path. ws: send on WebSocket `conn` (default 'a'). admin: POST adminUrl+path.
   * get: GET httpUrl+path (long poll, /info, /ping). sleep: wait `ms`. wait: send nothing, only
   * wait for `events` (and `quietMs`) on `conn`.
   */
  via: 'http' | 'ws' | 'admin' | 'get' | 'sleep' | 'wait';
  path?: string;
  /** A JSON body (a transaction is added unless `noTx`), or a raw string sent as-is. */
  body?: Json | { raw: string };
  noTx?: boolean;
  /** admin only: do not add admin_secret (the body may carry its own). */
  noSecret?: boolean;
  conn?: string;
  ms?: number;
  /** get only: give up after this many ms (a long poll that would otherwise wait 30 s). */
  timeoutMs?: number;
  /** Save values from the reply: var name → dotted path (e.g. { s: 'data.id' }). */
  save?: Record<string, string>;
  /** ws only: after the reply, wait for async messages with these `janus` values (in any order). */
  events?: string[];
  /**
   * ws only: after the reply, wait for these `janus` values on other connections (conn → kinds), e.g.
   * the `publishers` event a room sends its other participants.
   */
  on?: Record<string, string[]>;
  /** ws only: after the reply (and `events`), collect anything else arriving within this many ms. */
  quietMs?: number;
  /**
   * The arrival order of the step's messages is compared per connection (the reply before its events,
   * events in order). Set this when the reference's order across connections is deterministic too.
   */
  crossOrder?: boolean;
  /**
   * The step's own events arrive in an order the reference does not fix (its handler thread pushes the
   * event while its ICE thread sends `hangup`): compared after the reply as a sorted list.
   */
  eventsUnordered?: boolean;
  /**
   * ws only: put an offer from a real werift PeerConnection in the body's `jsep`; the answer the step
   * brings back (reply, events or extra) is applied to it.
   */
  offer?: OfferSpec;
  /**
   * ws only: answer the jsep offer the step brings back from a PeerConnection (`pc`, default the
   * step's connection) and save that answer as `$<save>` for a later step's `jsep`.
   */
  answer?: { pc?: string; save: string };
  /** ws only: put the first host candidate of this PeerConnection in the body's `candidate`. */
  trickleFrom?: string;
  /**
   * Extra messages that the reference sends or not depending on a race of its own threads: left out
   * of the comparison on both sides (the step's comment says which race).
   */
  racyExtra?: (m: Record<string, unknown>) => boolean;
  /** How to compare the reply: full recursive shape (default), top-level keys only, or not at all. */
  compare?: 'full' | 'keys' | 'none';
  /** Dotted paths dropped from the reply shape (e.g. server_info parts we do not copy). */
  ignore?: string[];
  /** Compare the object at this dotted path of the reply instead of the whole reply. */
  at?: string;
  /** Compare only these parts of the reply ('/'-separated key paths, since keys may hold dots). */
  pick?: string[];
  /** What the documented behaviour is (checked against both servers, reported separately). */
  expect?: { janus?: string; code?: number; status?: number };
}

export interface Recorded {
  step: string;
  status?: number;
  reply?: unknown;
  events?: unknown[];
  /** Messages awaited on other connections (`on`). */
  on?: Record<string, unknown[]>;
  extra?: unknown[];
  /** The step's messages in arrival order: `conn:label` (see {@link orderLabel}). */
  order?: { conn: string; label: string; message: Record<string, unknown>; awaited: boolean }[];
  note?: string;
  /** Milliseconds the step took (diagnostics only, never compared). */
  ms?: number;
}

const REPLY_TIMEOUT_MS = 5_000;
const EVENT_TIMEOUT_MS = 3_000;

let txCounter = 0;
const newTx = () => `dt-${process.pid}-${++txCounter}-${Math.random().toString(36).slice(2, 8)}`;

class MissingVar extends Error {}

function substitute(v: unknown, vars: Record<string, unknown>): unknown {
  if (typeof v === 'string') {
    const m = /^\$(\w+)$/.exec(v);
    if (!m) return v;
    if (vars[m[1]!] === undefined) throw new MissingVar(`$${m[1]} is not set`);
    return vars[m[1]!];
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)]));
  return v;
}

function substitutePath(p: string, vars: Record<string, unknown>): string {
  return p.replace(/\$(\w+)/g, (_, name: string) => {
    if (vars[name] === undefined) throw new MissingVar(`$${name} is not set`);
    return String(vars[name]);
  });
}

export function getPath(v: unknown, path: string): unknown {
  let cur: unknown = v;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** One message received on a connection, with its arrival rank across all the script's connections. */
interface Arrival {
  m: Record<string, unknown>;
  seq: number;
}

/** A Janus-API WebSocket: replies matched by transaction, everything else kept as events. */
class JanusSocket {
  private readonly ws: WebSocket;
  private readonly inbox: Arrival[] = [];
  private waiters: (() => void)[] = [];
  readonly opened: Promise<void>;

  constructor(url: string, nextSeq: () => number) {
    this.ws = new WebSocket(url, 'janus-protocol');
    this.opened = new Promise((res, rej) => {
      this.ws.once('open', () => res());
      this.ws.once('error', rej);
    });
    this.ws.on('message', (d) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(d.toString()) as Record<string, unknown>;
      } catch {
        m = { unparsable: d.toString() };
      }
      this.inbox.push({ m, seq: nextSeq() });
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  send(data: string): void {
    this.ws.send(data);
  }

  /** Removes and returns the first message matching `pred`, waiting up to `ms`. */
  async take(pred: (m: Record<string, unknown>) => boolean, ms: number): Promise<Arrival | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex((a) => pred(a.m));
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  drain(): Arrival[] {
    return this.inbox.splice(0, this.inbox.length);
  }

  close(): void {
    this.ws.close();
  }
}

/** Media state events: they follow ICE/DTLS on the client's own clock, so no step compares them by default. */
export const isMediaStateEvent = (m: Record<string, unknown>) =>
  m.janus === 'webrtcup' || m.janus === 'media' || m.janus === 'slowlink';

/** What identifies a message in an order list: its `janus`, plus the plugin's event kind and a jsep type. */
export function orderLabel(m: Record<string, unknown>): string {
  const data = getPath(m, 'plugindata.data') as Record<string, unknown> | undefined;
  const kind = data && (data.videoroom ?? data.echotest ?? data.result);
  const jsep = getPath(m, 'jsep.type');
  return [m.janus, kind, jsep].filter((x) => typeof x === 'string').join('/');
}

/** The jsep of the given type among a step's messages, if any. */
function findJsep(rec: Recorded, type: 'offer' | 'answer'): Jsep | undefined {
  for (const o of rec.order ?? []) {
    const j = o.message.jsep as Jsep | undefined;
    if (j && j.type === type && typeof j.sdp === 'string') return j;
  }
  return undefined;
}

/** Runs a script against one target and returns its transcript. */
export async function runScript(
  target: Target,
  steps: Step[],
): Promise<{ transcript: Recorded[]; vars: Record<string, unknown> }> {
  const vars: Record<string, unknown> = {};
  const sockets = new Map<string, JanusSocket>();
  const peers = new Peers(target.iceAddress);
  const transcript: Recorded[] = [];
  let seq = 0;
  const nextSeq = () => ++seq;
  const socket = async (name: string) => {
    let s = sockets.get(name);
    if (!s) {
      s = new JanusSocket(target.wsUrl, nextSeq);
      sockets.set(name, s);
      await s.opened;
    }
    return s;
  };
  try {
    for (const step of steps) {
      const label =
        step.name ??
        (step.body && typeof step.body === 'object' && 'janus' in step.body ? String(step.body.janus) : step.via);
      const rec: Recorded = { step: label };
      transcript.push(rec);
      const started = Date.now();
      if (step.via === 'sleep') {
        await new Promise((r) => setTimeout(r, step.ms ?? 100));
        continue;
      }
      const conn = step.conn ?? 'a';
      let payload: string | undefined;
      let tx: string | undefined;
      let path: string;
      try {
        path = substitutePath(step.path ?? '', vars);
        if (step.body !== undefined) {
          if (step.body && typeof step.body === 'object' && 'raw' in step.body && typeof step.body.raw === 'string')
            payload = step.body.raw;
          else {
            const obj = substitute(step.body, vars) as Record<string, unknown>;
            if (!step.noTx && obj && typeof obj === 'object' && !Array.isArray(obj) && !('transaction' in obj))
              obj.transaction = tx = newTx();
            else if (obj && typeof obj === 'object' && typeof obj.transaction === 'string') tx = obj.transaction;
            if (step.via === 'admin' && !step.noSecret && obj && typeof obj === 'object' && !Array.isArray(obj))
              obj.admin_secret ??= target.adminSecret;
            if (step.offer) obj.jsep = await peers.offer(step.offer.pc ?? conn, step.offer);
            if (step.trickleFrom) {
              const c = peers.candidate(step.trickleFrom);
              if (!c) throw new MissingVar(`PeerConnection ${step.trickleFrom} has no candidate`);
              obj.candidate = c as unknown as Json;
            }
            payload = JSON.stringify(obj);
          }
        }
      } catch (err) {
        if (err instanceof MissingVar) {
          rec.note = `skipped: ${err.message}`;
          continue;
        }
        throw err;
      }
      if (step.via === 'ws' || step.via === 'wait') {
        const s = await socket(conn);
        const got: { conn: string; a: Arrival; awaited?: boolean }[] = [];
        if (step.via === 'ws') {
          s.send(payload ?? '');
          // The reply: the first non-`event` message carrying our transaction (a plugin event with the
          // same transaction may race the ack), or the first error without a transaction (Janus drops
          // the transaction from envelope validation errors).
          const reply = await s.take(
            (m) =>
              (tx !== undefined && m.transaction === tx && m.janus !== 'event') ||
              (m.janus === 'error' && typeof m.transaction !== 'string'),
            REPLY_TIMEOUT_MS,
          );
          rec.reply = reply?.m;
          if (reply) got.push({ conn, a: reply, awaited: true });
          else rec.note = 'no reply';
        }
        if (step.events?.length) {
          rec.events = [];
          for (const kind of step.events) {
            const ev = await s.take((m) => m.janus === kind, EVENT_TIMEOUT_MS);
            rec.events.push(ev?.m ?? { missing: kind });
            if (ev) got.push({ conn, a: ev, awaited: true });
          }
        }
        for (const [other, kinds] of Object.entries(step.on ?? {})) {
          const o = await socket(other);
          const list: unknown[] = ((rec.on ??= {})[other] = []);
          for (const kind of kinds) {
            const ev = await o.take((m) => m.janus === kind, EVENT_TIMEOUT_MS);
            list.push(ev?.m ?? { missing: kind });
            if (ev) got.push({ conn: other, a: ev, awaited: true });
          }
        }
        if (step.quietMs) {
          await new Promise((r) => setTimeout(r, step.quietMs));
          const drained = s.drain();
          rec.extra = drained.map((a) => a.m);
          got.push(...drained.map((a) => ({ conn, a })));
          for (const other of Object.keys(step.on ?? {})) {
            const more = sockets.get(other)!.drain();
            (rec.on![other] ??= []).push(...more.map((a) => a.m));
            got.push(...more.map((a) => ({ conn: other, a })));
          }
        }
        rec.order = got
          .sort((x, y) => x.a.seq - y.a.seq)
          .map((g) => ({ conn: g.conn, label: orderLabel(g.a.m), message: g.a.m, awaited: g.awaited ?? false }));
        if (step.offer) {
          const answer = findJsep(rec, 'answer');
          if (answer) await peers.applyAnswer(step.offer.pc ?? conn, answer.sdp);
        }
        if (step.answer) {
          const offer = findJsep(rec, 'offer');
          if (offer) vars[step.answer.save] = await peers.answer(step.answer.pc ?? conn, offer.sdp);
        }
      } else {
        const base = step.via === 'admin' ? target.adminUrl : target.httpUrl;
        let res: Response;
        try {
          res = await fetch(base + path, {
            method: step.via === 'get' ? 'GET' : 'POST',
            body: step.via === 'get' ? undefined : payload,
            headers: step.via === 'get' ? undefined : { 'content-type': 'application/json' },
            redirect: 'manual',
            signal: AbortSignal.timeout(step.timeoutMs ?? 40_000),
          });
        } catch (err) {
          if ((err as Error).name !== 'TimeoutError') throw err;
          rec.note = `no answer within ${step.timeoutMs ?? 40_000} ms`;
          continue;
        }
        rec.status = res.status;
        const text = await res.text();
        try {
          rec.reply = text === '' ? '' : JSON.parse(text);
        } catch {
          rec.reply = { nonJsonBody: true };
        }
      }
      rec.ms = Date.now() - started;
      for (const [name, p] of Object.entries(step.save ?? {})) {
        const v = getPath(rec.reply, p);
        if (v !== undefined) vars[name] = v;
      }
    }
  } finally {
    for (const s of sockets.values()) s.close();
    await peers.closeAll();
  }
  return { transcript, vars };
}

// ---------------------------------------------------------------------------------------------- shapes

/** Paths (relative to a reply or event) whose values are compared literally, not just by type. */
const LITERAL = new Set([
  'janus',
  'error.code',
  'plugindata.plugin',
  'plugindata.data.echotest',
  'plugindata.data.result',
  'plugindata.data.error_code',
  'jsep.type',
  'plugindata.data.error',
  // what an event is (clients switch on these)
  ...['videoroom', 'audiobridge', 'streaming', 'recordplay'].map((p) => `plugindata.data.${p}`),
  'plugindata.data.result.status',
  // a hang-up's reason ("Close PC" for every PeerConnection a plugin closes)
  'reason',
  // what a publisher's streams say of their formats (VideoRoom `streams`, in replies and `publishers` events)
  ...['streams', 'publishers.streams'].flatMap((list) =>
    ['codec', 'h264_profile', 'vp9_profile'].map((key) => `plugindata.data.${list}.${key}`),
  ),
  // a subscriber's m-lines: what they carry and whether they flow
  ...['type', 'mid', 'feed_mid', 'active', 'send', 'ready'].map((key) => `plugindata.data.streams.${key}`),
]);

/**
 * The shape of a JSON value: objects become sorted key → shape maps, arrays the sorted set of their
 * elements' shapes, scalars their type (plus the value on literal paths).
 */
export function shape(v: unknown, path = ''): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const elems = [...new Set(v.map((x) => JSON.stringify(shape(x, path))))].sort();
    return { '[]': elems.map((e) => JSON.parse(e) as unknown) };
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort())
      out[k] = shape((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
    return out;
  }
  if (LITERAL.has(path)) return `${typeof v}:${String(v)}`;
  return typeof v;
}

function dropPath(v: unknown, path: string[]): void {
  if (!v || typeof v !== 'object' || path.length === 0) return;
  const [head, ...rest] = path;
  const o = v as Record<string, unknown>;
  if (rest.length === 0) delete o[head!];
  else dropPath(o[head!], rest);
}

function pickPaths(v: unknown, paths: string[]): unknown {
  const out: Record<string, unknown> = {};
  for (const p of paths) {
    let cur: unknown = v;
    for (const k of p.split('/'))
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
    out[p] = cur === undefined ? 'absent' : cur;
  }
  return out;
}

/**
 * The comparable view of one recorded step. `replyFirst` puts the reply ahead of the step's other
 * messages: for the reference, whose plugin and hangup threads race the core thread that sends the
 * reply (an `event` can overtake its own `ack`), while the documented order is the reply first.
 */
export function stepShape(rec: Recorded, step: Step, opts: { replyFirst?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rec.note) out.note = rec.note;
  if (rec.status !== undefined) out.status = rec.status;
  const mode = step.compare ?? 'full';
  if (mode !== 'none' && rec.reply !== undefined) {
    const base = step.at ? (getPath(rec.reply, step.at) ?? 'absent') : rec.reply;
    let r = shape(step.pick ? pickPaths(base, step.pick) : base);
    if (mode === 'keys' && r && typeof r === 'object' && !('[]' in r)) {
      r = Object.fromEntries(
        Object.entries(r as Record<string, unknown>).map(([k, x]) => [
          k,
          k === 'janus' ? x : typeof x === 'string' ? x : 'object',
        ]),
      );
    }
    for (const p of step.ignore ?? []) dropPath(r, p.split('.'));
    out.reply = r;
  }
  const kept = (e: unknown) => {
    const m = e as Record<string, unknown>;
    return !isMediaStateEvent(m) && !step.racyExtra?.(m);
  };
  if (rec.events) out.events = rec.events.map((e) => shape(e));
  if (rec.on)
    out.on = Object.fromEntries(
      Object.entries(rec.on).map(([c, l]) => [
        c,
        l
          .filter((e) => kept(e) || step.on?.[c]?.includes(String((e as Record<string, unknown>).janus)))
          .map((e) => shape(e)),
      ]),
    );
  if (rec.extra) out.extra = rec.extra.filter(kept).map((e) => shape(e));
  if (rec.order) {
    // Racy and media-state messages have no place in the order; across connections only when asked.
    const order = rec.order.filter((o) => o.awaited || kept(o.message));
    const reply = order.findIndex((o) => o.message === rec.reply);
    if (opts.replyFirst && reply > 0) order.unshift(...order.splice(reply, 1));
    if (step.crossOrder) out.order = order.map((o) => `${o.conn}:${o.label}`);
    else {
      const byConn: Record<string, string[]> = {};
      for (const o of order) (byConn[o.conn] ??= []).push(o.label);
      const own = step.conn ?? 'a';
      if (step.eventsUnordered && byConn[own]) {
        const labels = byConn[own];
        const replyAt = labels.indexOf(orderLabel(rec.reply as Record<string, unknown>));
        byConn[own] = [...labels.slice(0, replyAt + 1), ...labels.slice(replyAt + 1).sort()];
      }
      out.order = byConn;
    }
  }
  return out;
}

/** The literal facts the docs promise for a step, read from one recorded reply. */
export function observed(rec: Recorded): { janus?: string; code?: number; status?: number } {
  const r = rec.reply as Record<string, unknown> | undefined;
  const o: { janus?: string; code?: number; status?: number } = {};
  if (r && typeof r === 'object' && !Array.isArray(r)) {
    if (typeof r.janus === 'string') o.janus = r.janus;
    const code = getPath(r, 'error.code');
    if (typeof code === 'number') o.code = code;
  }
  if (rec.status !== undefined) o.status = rec.status;
  return o;
}
