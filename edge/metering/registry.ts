/**
 * What each Durable Object was billed for, recorded while METERING is on (bench:cost reads it through
 * `/metering`). Locally every object of the Worker runs in one isolate, so one module-level registry
 * sees them all. Per object: counts of billable events, counts per method (what dominates), and when
 * each handler ran (the cost model turns those into resident seconds).
 */
/** `storageRows`: keys put or deleted (each at least one SQLite row written); `alarmSets`: setAlarm/deleteAlarm. */
export type MeterKind = 'request' | 'alarm' | 'wsIn' | 'wsOut' | 'wsClose' | 'storageRows' | 'alarmSets';

export const METER_KINDS: readonly MeterKind[] = [
  'request',
  'alarm',
  'wsIn',
  'wsOut',
  'wsClose',
  'storageRows',
  'alarmSets',
];

export interface ObjectMeter {
  cls: string;
  id: string;
  counts: Record<MeterKind, number>;
  /** Calls per method (RPC method, fetch, alarm, webSocketMessage…). */
  methods: Record<string, number>;
  /** Every handler: [start, end, method], times in ms since the epoch (a handler still running ends now). */
  calls: Array<[number, number, string]>;
}

export interface MeterSnapshot {
  since: number;
  now: number;
  /** Handlers left unrecorded once MAX_CALLS were kept (their counts are still right). */
  droppedCalls: number;
  objects: ObjectMeter[];
}

/** Bounds the registry's memory on a long run; bench:cost stays far below it. */
export const MAX_CALLS = 2_000_000;

function zeroCounts(): Record<MeterKind, number> {
  return Object.fromEntries(METER_KINDS.map((k) => [k, 0])) as Record<MeterKind, number>;
}

export class MeterRegistry {
  private objects = new Map<string, ObjectMeter>();
  /** Handlers still running, with the object whose `calls` they go to when they end. */
  private readonly open = new Set<{ o: ObjectMeter; start: number; method: string }>();
  private since: number;
  private kept = 0;
  private dropped = 0;

  constructor(private readonly now: () => number = () => Date.now()) {
    this.since = now();
  }

  private object(cls: string, id: string): ObjectMeter {
    const key = `${cls}:${id}`;
    let o = this.objects.get(key);
    if (!o) {
      o = { cls, id, counts: zeroCounts(), methods: {}, calls: [] };
      this.objects.set(key, o);
    }
    return o;
  }

  /** An event that takes no handler time of its own (a message the object sent). */
  count(cls: string, id: string, kind: MeterKind, n = 1): void {
    this.object(cls, id).counts[kind] += n;
  }

  /** A handler starts; call the returned function when it has settled. */
  begin(cls: string, id: string, kind: MeterKind, method: string): () => void {
    const o = this.object(cls, id);
    o.counts[kind]++;
    o.methods[method] = (o.methods[method] ?? 0) + 1;
    const entry = { o, start: this.now(), method };
    this.open.add(entry);
    return () => {
      if (!this.open.delete(entry)) return;
      if (this.kept >= MAX_CALLS) {
        this.dropped++;
        return;
      }
      this.kept++;
      // After a reset, a handler that began before it counts from the reset on.
      const o = this.object(entry.o.cls, entry.o.id);
      const start = Math.max(entry.start, this.since);
      o.calls.push([start, Math.max(this.now(), start), entry.method]);
    };
  }

  /** Everything recorded since the last reset; handlers still running count as busy until now. */
  snapshot(): MeterSnapshot {
    const now = this.now();
    const objects = new Map(
      [...this.objects].map(([key, o]) => [
        key,
        { ...o, counts: { ...o.counts }, methods: { ...o.methods }, calls: [...o.calls] },
      ]),
    );
    for (const { o, start, method } of this.open) {
      const copy = objects.get(`${o.cls}:${o.id}`) ?? {
        cls: o.cls,
        id: o.id,
        counts: zeroCounts(),
        methods: {},
        calls: [],
      };
      objects.set(`${o.cls}:${o.id}`, copy);
      copy.calls.push([Math.max(start, this.since), now, method]);
    }
    return { since: this.since, now, droppedCalls: this.dropped, objects: [...objects.values()] };
  }

  /** Starts a new measurement window. */
  reset(): void {
    this.objects = new Map();
    this.since = this.now();
    this.kept = 0;
    this.dropped = 0;
  }
}

/** The isolate's registry. */
export const meterRegistry = new MeterRegistry();
