/**
 * bench:cost's arithmetic and tables: the metered setup (counted once per participant-hour) plus the
 * metered steady window scaled to the rest of the hour, per Durable Object class, under both
 * residency models of edge/metering/costModel.ts.
 */
import { costByClass, type ClassCost } from '../../edge/metering/costModel.js';
import type { MeterSnapshot, ObjectMeter } from '../../edge/metering/registry.js';
import { fmt, table } from '../support/table.js';

/**
 * What the local supervisor (npm start's /health poll every 2 s) calls; no deployment has it. Plain
 * `/health` asks the core only for its relays (`?counts=1`, which sums every shard, is not polled).
 */
export const SUPERVISOR_METHODS: ReadonlySet<string> = new Set(['listRelays']);

export interface HourlyClass {
  cls: string;
  objects: number;
  calls: number;
  alarms: number;
  wsIn: number;
  wsOut: number;
  billedRequests: number;
  residentSeconds: number;
  dollars: number;
  storageRows: number;
  alarmSets: number;
  topMethods: Array<[string, number]>;
}

function costs(s: MeterSnapshot, tailMs: number, objects?: ObjectMeter[]): ClassCost[] {
  return costByClass(objects ?? s.objects, { tailMs, from: s.since, until: s.now, exclude: SUPERVISOR_METHODS });
}

/**
 * One hour of `participants`: the setup once, plus the window × (3600 − setup seconds) / window
 * seconds. `edit` may rewrite the objects first (a what-if: calls that would not happen).
 */
export function hourly(
  setup: MeterSnapshot,
  window: MeterSnapshot,
  tailMs: number,
  edit: (o: ObjectMeter) => ObjectMeter = (o) => o,
): HourlyClass[] {
  const setupS = (setup.now - setup.since) / 1000;
  const windowS = (window.now - window.since) / 1000;
  const scale = Math.max(0, 3600 - setupS) / windowS;
  const a = costs(setup, tailMs, setup.objects.map(edit));
  const b = costs(window, tailMs, window.objects.map(edit));
  const classes = [...new Set([...a, ...b].map((c) => c.cls))];
  return classes
    .map((cls) => {
      const x = a.find((c) => c.cls === cls);
      const y = b.find((c) => c.cls === cls);
      const sum = (f: (c: ClassCost) => number) => (x ? f(x) : 0) + (y ? f(y) : 0) * scale;
      return {
        cls,
        objects: Math.max(x?.objects ?? 0, y?.objects ?? 0),
        calls: sum((c) => c.counts.request),
        alarms: sum((c) => c.counts.alarm),
        wsIn: sum((c) => c.counts.wsIn),
        wsOut: sum((c) => c.counts.wsOut),
        billedRequests: sum((c) => c.billedRequests),
        residentSeconds: sum((c) => c.residentSeconds),
        dollars: sum((c) => c.dollars),
        storageRows: sum((c) => c.counts.storageRows),
        alarmSets: sum((c) => c.counts.alarmSets),
        topMethods: y?.topMethods ?? x?.topMethods ?? [],
      };
    })
    .sort((p, q) => q.dollars - p.dollars);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (n: number) => `$${n.toFixed(6)}`;

export function hourlyTable(rows: HourlyClass[], participants: number): string {
  const total = rows.reduce((a, r) => a + r.dollars, 0);
  return table([
    [
      'class (per hour)',
      'objects',
      'calls',
      'alarms',
      'WS in',
      'WS out',
      'billed req',
      'resident s',
      '$ requests',
      '$ duration',
      '$ / hour',
      '$ / participant-hour',
    ],
    ...rows.map((r) => {
      const req = (r.billedRequests / 1e6) * 0.15;
      return [
        r.cls,
        String(r.objects),
        int(r.calls),
        int(r.alarms),
        int(r.wsIn),
        int(r.wsOut),
        int(r.billedRequests),
        int(r.residentSeconds),
        usd(req),
        usd(r.dollars - req),
        usd(r.dollars),
        usd(r.dollars / participants),
      ];
    }),
    ['total', '', '', '', '', '', '', '', '', '', usd(total), usd(total / participants)],
  ]);
}

/** SQLite-backed objects bill rows written beyond 50 million a month: $1.00 per million. */
export const DOLLARS_PER_MILLION_ROWS_WRITTEN = 1.0;

/** Keys written or deleted and alarms set per hour, priced as one row each (not in the bill above). */
export function storageLines(rows: HourlyClass[], participants: number): string[] {
  const writes = rows.reduce((a, r) => a + r.storageRows + r.alarmSets, 0);
  const dollars = (writes / 1e6) * DOLLARS_PER_MILLION_ROWS_WRITTEN;
  return [
    ...rows.map(
      (r) => `  ${r.cls}: ${int(r.storageRows)} keys written or deleted, ${int(r.alarmSets)} alarms set per hour`,
    ),
    `  at one row each, $${(dollars / participants).toFixed(6)} per participant-hour of rows written (not in the totals above)`,
  ];
}

export function topMethodsLines(rows: HourlyClass[]): string[] {
  return rows.map((r) => `  ${r.cls}: ${r.topMethods.map(([m, n]) => `${m} ${n}`).join(', ')}`);
}

export function perParticipantHour(rows: HourlyClass[], participants: number): number {
  return rows.reduce((a, r) => a + r.dollars, 0) / participants;
}

/** The what-if of a RelayLink without its liveness alarm (heartbeats still arrive every second). */
export function withoutLinkAlarm(o: ObjectMeter): ObjectMeter {
  if (o.cls !== 'RelayLink') return o;
  const { alarm: _alarm, ...methods } = o.methods;
  return { ...o, counts: { ...o.counts, alarm: 0 }, methods, calls: o.calls.filter((c) => c[2] !== 'alarm') };
}

export { fmt };
