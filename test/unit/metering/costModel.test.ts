import { describe, expect, it } from 'vitest';
import {
  billedRequests,
  costByClass,
  durationDollars,
  requestDollars,
  residentSeconds,
} from '../../../edge/metering/costModel.js';
import type { ObjectMeter } from '../../../edge/metering/registry.js';

const counts = (c: Partial<ObjectMeter['counts']>): ObjectMeter['counts'] => ({
  request: 0,
  alarm: 0,
  wsIn: 0,
  wsOut: 0,
  wsClose: 0,
  storageRows: 0,
  alarmSets: 0,
  ...c,
});

describe('the Durable Object cost model', () => {
  it('bills incoming WebSocket messages at 20:1, alarms and calls one each, outgoing messages and storage not as requests', () => {
    expect(
      billedRequests(counts({ request: 3, alarm: 2, wsIn: 40, wsOut: 1000, wsClose: 5, storageRows: 9, alarmSets: 4 })),
    ).toBe(7);
  });

  it('prices requests and GB-s at the list prices', () => {
    expect(requestDollars(1e6)).toBeCloseTo(0.15, 10);
    // One object resident for an hour at 128 MB: 460.8 GB-s.
    expect(durationDollars(3600)).toBeCloseTo(460.8 * 12.5e-6, 10);
  });

  it('counts each handler plus the idle tail, overlapping spans once, clipped to the window', () => {
    const busy: Array<[number, number]> = [
      [0, 100],
      [5_000, 5_100],
      [40_000, 40_000],
    ];
    expect(residentSeconds(busy, 0, 0, 60_000)).toBeCloseTo(0.2, 10);
    // With a 10 s tail the first two merge into [0, 15.1 s]; the last is [40 s, 50 s].
    expect(residentSeconds(busy, 10_000, 0, 60_000)).toBeCloseTo(15.1 + 10, 10);
    // Clipped: the window starts at 10 s and ends at 45 s.
    expect(residentSeconds(busy, 10_000, 10_000, 45_000)).toBeCloseTo(5.1 + 5, 10);
  });

  it('an object woken every 500 ms with a 10 s tail is resident the whole window', () => {
    const busy = Array.from({ length: 120 }, (_, i): [number, number] => [i * 500, i * 500 + 1]);
    expect(residentSeconds(busy, 10_000, 0, 60_000)).toBeCloseTo(60, 10);
    expect(residentSeconds(busy, 0, 0, 60_000)).toBeCloseTo(0.12, 10);
  });

  it('sums objects per class, most expensive class first, with the methods called most', () => {
    const objects: ObjectMeter[] = [
      {
        cls: 'RelayLink',
        id: 'l',
        counts: counts({ alarm: 120, wsIn: 60 }),
        methods: { alarm: 120, webSocketMessage: 60 },
        calls: [[0, 60_000, 'alarm']],
      },
      {
        cls: 'SessionShard',
        id: 'a',
        counts: counts({ wsIn: 20 }),
        methods: { webSocketMessage: 20 },
        calls: [[0, 10, 'webSocketMessage']],
      },
      {
        cls: 'SessionShard',
        id: 'b',
        counts: counts({ request: 1 }),
        methods: { janus: 1 },
        calls: [[0, 10, 'janus']],
      },
    ];
    const [link, shard] = costByClass(objects, { tailMs: 0, from: 0, until: 60_000 });
    expect(link!.cls).toBe('RelayLink');
    expect(link!.billedRequests).toBe(123);
    expect(link!.residentSeconds).toBeCloseTo(60, 10);
    expect(link!.dollars).toBeCloseTo(requestDollars(123) + durationDollars(60), 12);
    expect(link!.topMethods[0]).toEqual(['alarm', 120]);
    expect(shard).toMatchObject({ cls: 'SessionShard', objects: 2, billedRequests: 2 });
    expect(shard!.residentSeconds).toBeCloseTo(0.02, 10);
  });

  it('leaves out the methods only the local supervisor calls, from the requests and from the time', () => {
    const objects: ObjectMeter[] = [
      {
        cls: 'SessionShard',
        id: 'a',
        counts: counts({ request: 31, wsIn: 2 }),
        methods: { counts: 30, janus: 1, webSocketMessage: 2 },
        calls: [
          ...Array.from({ length: 30 }, (_, i): [number, number, string] => [i * 2_000, i * 2_000 + 1, 'counts']),
          [1_000, 1_005, 'janus'],
          [30_000, 30_002, 'webSocketMessage'],
          [50_000, 50_002, 'webSocketMessage'],
        ],
      },
    ];
    const all = costByClass(objects, { tailMs: 10_000, from: 0, until: 60_000 })[0]!;
    const api = costByClass(objects, { tailMs: 10_000, from: 0, until: 60_000, exclude: new Set(['counts']) })[0]!;
    expect(all.residentSeconds).toBeCloseTo(60, 6);
    expect(api.billedRequests).toBe(1.1);
    // [1 s, 11 s] + [30 s, 40 s] + [50 s, 60 s]
    expect(api.residentSeconds).toBeCloseTo(30.007, 6);
    expect(api.topMethods).toEqual([
      ['webSocketMessage', 2],
      ['janus', 1],
    ]);
  });
});
