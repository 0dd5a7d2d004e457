import { describe, expect, it } from 'vitest';
import { MeterRegistry } from '../../../edge/metering/registry.js';

function clockAt(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('the metering registry', () => {
  it('counts events per object and kind, and calls per method', () => {
    const c = clockAt(1_000);
    const r = new MeterRegistry(c.now);
    r.begin('SessionShard', 'a', 'wsIn', 'webSocketMessage')();
    r.begin('SessionShard', 'a', 'request', 'janus')();
    r.begin('SessionShard', 'a', 'request', 'janus')();
    r.count('SessionShard', 'a', 'wsOut');
    r.count('SessionShard', 'a', 'storageRows', 3);
    r.begin('RelayLink', 'x', 'alarm', 'alarm')();
    const s = r.snapshot();
    expect(s.objects).toHaveLength(2);
    const shard = s.objects.find((o) => o.cls === 'SessionShard')!;
    expect(shard.counts).toEqual({ request: 2, alarm: 0, wsIn: 1, wsOut: 1, wsClose: 0, storageRows: 3, alarmSets: 0 });
    expect(shard.methods).toEqual({ webSocketMessage: 1, janus: 2 });
    expect(s.objects.find((o) => o.cls === 'RelayLink')!.counts.alarm).toBe(1);
  });

  it('records when each handler ran, overlapping ones included', () => {
    const c = clockAt(0);
    const r = new MeterRegistry(c.now);
    c.t = 100;
    const a = r.begin('VideoRoomDO', 'r', 'request', 'joinPublisher');
    c.t = 120;
    const b = r.begin('VideoRoomDO', 'r', 'request', 'published');
    c.t = 150;
    a();
    c.t = 180;
    b();
    b(); // a second settle changes nothing
    c.t = 500;
    const d = r.begin('VideoRoomDO', 'r', 'request', 'leave');
    c.t = 510;
    d();
    expect(r.snapshot().objects[0]!.calls).toEqual([
      [100, 150, 'joinPublisher'],
      [120, 180, 'published'],
      [500, 510, 'leave'],
    ]);
  });

  it('shows a handler still running as busy until now, and counts it from a reset on', () => {
    const c = clockAt(0);
    const r = new MeterRegistry(c.now);
    c.t = 10;
    const poll = r.begin('SessionShard', 's', 'request', 'poll');
    r.begin('CoreCoordinator', 'core', 'request', 'counts')();
    c.t = 40;
    expect(r.snapshot().objects.find((o) => o.id === 's')!.calls).toEqual([[10, 40, 'poll']]);
    r.reset();
    const after = r.snapshot();
    expect(after.since).toBe(40);
    expect(after.objects.map((o) => o.id)).toEqual(['s']);
    expect(after.objects[0]!.counts.request).toBe(0);
    c.t = 70;
    poll();
    expect(r.snapshot().objects[0]!.calls).toEqual([[40, 70, 'poll']]);
  });
});
