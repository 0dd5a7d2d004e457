/**
 * Differential harness: runs one request script against a Janus-API server (the reference Janus or
 * our edge) and records a transcript, then reduces transcripts to comparable *shapes* (recursive key
 * sets and value types; literal values only where they matter: `janus`, error codes, plugin names).
 */
import WebSocket from 'ws';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Where a server under test answers. */
export interface Target {
  name: string;
  httpUrl: string; // http://host:port/janus
  wsUrl: string; // Janus API WebSocket (subprotocol janus-protocol)
  adminUrl: string; // http://host:port/admin
  adminSecret: string;
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
   * get: GET httpUrl+path (long poll, /info, /ping). sleep: wait `ms`.
   */
  via: 'http' | 'ws' | 'admin' | 'get' | 'sleep';
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
  /** ws only: after the reply (and `events`), collect anything else arriving within this many ms. */
  quietMs?: number;
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
  extra?: unknown[];
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

/** A Janus-API WebSocket: replies matched by transaction, everything else kept as events. */
class JanusSocket {
  private readonly ws: WebSocket;
  private readonly inbox: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url, 'janus-protocol');
    this.opened = new Promise((res, rej) => {
      this.ws.once('open', () => res());
      this.ws.once('error', rej);
    });
    this.ws.on('message', (d) => {
      try {
        this.inbox.push(JSON.parse(d.toString()) as Record<string, unknown>);
      } catch {
        this.inbox.push({ unparsable: d.toString() });
      }
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  send(data: string): void {
    this.ws.send(data);
  }

  /** Removes and returns the first message matching `pred`, waiting up to `ms`. */
  async take(pred: (m: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown> | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(pred);
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

  drain(): Record<string, unknown>[] {
    return this.inbox.splice(0, this.inbox.length);
  }

  close(): void {
    this.ws.close();
  }
}

/** Runs a script against one target and returns its transcript. */
export async function runScript(
  target: Target,
  steps: Step[],
): Promise<{ transcript: Recorded[]; vars: Record<string, unknown> }> {
  const vars: Record<string, unknown> = {};
  const sockets = new Map<string, JanusSocket>();
  const transcript: Recorded[] = [];
  const socket = async (name: string) => {
    let s = sockets.get(name);
    if (!s) {
      s = new JanusSocket(target.wsUrl);
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
      if (step.via === 'ws') {
        const s = await socket(step.conn ?? 'a');
        s.send(payload ?? '');
        // The reply: the first non-`event` message carrying our transaction (a plugin event with the
        // same transaction may race the ack), or the first error without a transaction (Janus drops
        // the transaction from envelope validation errors).
        rec.reply = await s.take(
          (m) =>
            (tx !== undefined && m.transaction === tx && m.janus !== 'event') ||
            (m.janus === 'error' && typeof m.transaction !== 'string'),
          REPLY_TIMEOUT_MS,
        );
        if (rec.reply === undefined) rec.note = 'no reply';
        if (step.events?.length) {
          rec.events = [];
          for (const kind of step.events) {
            const ev = await s.take((m) => m.janus === kind, EVENT_TIMEOUT_MS);
            rec.events.push(ev ?? { missing: kind });
          }
        }
        if (step.quietMs) {
          await new Promise((r) => setTimeout(r, step.quietMs));
          rec.extra = s.drain();
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

/** The comparable view of one recorded step. */
export function stepShape(rec: Recorded, step: Step): Record<string, unknown> {
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
  if (rec.events) out.events = rec.events.map((e) => shape(e));
  if (rec.extra)
    out.extra = rec.extra.filter((e) => !step.racyExtra?.(e as Record<string, unknown>)).map((e) => shape(e));
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
