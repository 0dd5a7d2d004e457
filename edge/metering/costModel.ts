/**
 * Durable Object cost of a metered window at Cloudflare's list prices (Workers Paid, beyond the
 * included amounts): $0.15 per million requests, $12.50 per million GB-s of duration at 128 MB.
 *
 * Storage writes are counted (keys put or deleted, alarms set) but not priced here: SQLite-backed
 * objects bill rows written ($1.00 per million beyond the included 50 million a month), and how many
 * rows a key costs is the runtime's business; bench:cost prints the counts beside the bill.
 *
 * Requests: every fetch, every RPC call (one RPC session each), every alarm invocation, and incoming
 * WebSocket messages at 20:1. Outgoing messages and close events are counted but not billed.
 *
 * Duration: an object is billed while it handles something, and while it idles in memory without
 * being able to hibernate. What keeps one from hibernating (a pending timer, I/O in flight) is not
 * observed, so residency is modelled: an object counts as resident from the start of each handler to
 * `tailMs` after its end. `tailMs = 10_000` is the upper bound (the runtime hibernates an idle object
 * after 10 s; bill all of them), `tailMs = 0` the pricing page's rule for hibernatable objects (idle
 * and eligible: not billed, even before the runtime hibernated it).
 */
import { METER_KINDS, type MeterKind, type ObjectMeter } from './registry.js';

export const PRICES = {
  dollarsPerMillionRequests: 0.15,
  dollarsPerMillionGbSeconds: 12.5,
  memoryGb: 0.128,
  wsMessagesPerRequest: 20,
} as const;

/** Seconds covered by the union of `[start, end + tailMs]` over `busy`, clipped to `[from, until]`. */
export function residentSeconds(
  busy: ReadonlyArray<readonly [number, number, ...unknown[]]>,
  tailMs: number,
  from: number,
  until: number,
): number {
  const spans = busy
    .map(([s, e]) => [Math.max(s, from), Math.min(e + tailMs, until)] as const)
    .filter(([s, e]) => e > s);
  spans.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const [s, e] of spans) {
    if (s > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else curEnd = Math.max(curEnd, e);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total / 1000;
}

/** Requests as billed: incoming WebSocket messages at 20:1, the rest one each. */
export function billedRequests(counts: Record<MeterKind, number>): number {
  return counts.request + counts.alarm + counts.wsIn / PRICES.wsMessagesPerRequest;
}

export interface ClassCost {
  cls: string;
  objects: number;
  counts: Record<MeterKind, number>;
  billedRequests: number;
  residentSeconds: number;
  requestDollars: number;
  durationDollars: number;
  dollars: number;
  /** The methods called most, with their counts. */
  topMethods: Array<[string, number]>;
}

export function requestDollars(requests: number): number {
  return (requests / 1e6) * PRICES.dollarsPerMillionRequests;
}

export function durationDollars(seconds: number): number {
  return ((seconds * PRICES.memoryGb) / 1e6) * PRICES.dollarsPerMillionGbSeconds;
}

export interface CostWindow {
  from: number;
  until: number;
  /** Resident after each handler: 10_000 (upper bound) or 0 (hibernatable objects). */
  tailMs: number;
  /** Methods left out entirely (calls made only by the local supervisor, e.g. its /health polls). */
  exclude?: ReadonlySet<string>;
}

/** Cost per Durable Object class over a window, most expensive first. */
export function costByClass(objects: readonly ObjectMeter[], w: CostWindow): ClassCost[] {
  const excluded = (m: string) => w.exclude?.has(m) ?? false;
  const byClass = new Map<string, ClassCost & { methodCounts: Map<string, number> }>();
  for (const o of objects) {
    let c = byClass.get(o.cls);
    if (!c) {
      c = {
        cls: o.cls,
        objects: 0,
        counts: Object.fromEntries(METER_KINDS.map((k) => [k, 0])) as Record<MeterKind, number>,
        billedRequests: 0,
        residentSeconds: 0,
        requestDollars: 0,
        durationDollars: 0,
        dollars: 0,
        topMethods: [],
        methodCounts: new Map(),
      };
      byClass.set(o.cls, c);
    }
    c.objects++;
    for (const k of Object.keys(c.counts) as MeterKind[]) c.counts[k] += o.counts[k];
    for (const [m, n] of Object.entries(o.methods)) {
      // Excluded methods are RPC calls: they leave the request count, and their time below.
      if (excluded(m)) c.counts.request -= n;
      else c.methodCounts.set(m, (c.methodCounts.get(m) ?? 0) + n);
    }
    const calls = o.calls.filter((call) => !excluded(call[2]));
    c.residentSeconds += residentSeconds(calls, w.tailMs, w.from, w.until);
  }
  return [...byClass.values()]
    .map(({ methodCounts, ...c }) => {
      const billed = billedRequests(c.counts);
      const req = requestDollars(billed);
      const dur = durationDollars(c.residentSeconds);
      const topMethods = [...methodCounts].sort((a, b) => b[1] - a[1]).slice(0, 4);
      return {
        ...c,
        billedRequests: billed,
        requestDollars: req,
        durationDollars: dur,
        dollars: req + dur,
        topMethods,
      };
    })
    .sort((a, b) => b.dollars - a.dollars);
}
