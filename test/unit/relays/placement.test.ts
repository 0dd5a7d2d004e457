import { describe, expect, it } from 'vitest';
import { placementLoad, RelayDirectory, type RelayEntry } from '../../../edge/relays/directory.js';
import { HEARTBEAT_INTERVAL_MS } from '../../../shared/control/messages.js';
import { frame, registeredLink } from './harness.js';

const relay = (relayId: string, region: string, peers: number, extra: Partial<RelayEntry> = {}): RelayEntry => ({
  relayId,
  region,
  address: '192.0.2.1',
  capacity: 100,
  load: peers / 100,
  peers,
  linkId: `link-${relayId}`,
  ...extra,
});

describe('relay placement (the directory)', () => {
  it('places a new peer on the least loaded relay of the region: peers against capacity, or CPU when higher (and not idle)', () => {
    const d = new RelayDirectory();
    d.up(relay('a', 'eu', 40));
    d.up(relay('b', 'eu', 10, { cpu: 0.9 })); // few peers, a saturated media thread
    d.up(relay('c', 'eu', 30, { cpu: 0.2 }));
    d.up(relay('far', 'us', 0));
    expect(d.pick('eu')?.relayId).toBe('c');
    expect(placementLoad({ peers: 10, capacity: 100, cpu: 0.9 })).toBe(0.9);
    expect(placementLoad({ peers: 50, capacity: 100 })).toBe(0.5);
    // an idle relay's CPU noise does not count: its peers do
    expect(placementLoad({ peers: 10, capacity: 100, cpu: 0.2 })).toBe(0.1);
  });

  it('a relay that just registered takes the next peers at once, until it is as loaded as the others', () => {
    const d = new RelayDirectory();
    d.up(relay('old', 'eu', 20, { cpu: 0.3 }));
    const picks: string[] = [];
    d.up(relay('new', 'eu', 0));
    for (let i = 0; i < 35; i++) picks.push(d.pick('eu')!.relayId);
    // old: CPU 0.3; the new relay's own count rises with each placement (until a heartbeat corrects it)
    expect(picks.slice(0, 30).every((id) => id === 'new')).toBe(true);
    expect(picks).toContain('old');
  });

  it('never places on a draining relay, even the least loaded one; falls back to another region when the region has none', () => {
    const d = new RelayDirectory();
    d.up(relay('a', 'eu', 0));
    d.up(relay('b', 'eu', 90));
    d.up(relay('c', 'us', 50));
    expect(d.draining('a', 'link-a')).toBeDefined();
    expect(d.pick('eu')?.relayId).toBe('b');
    expect(d.draining('b', 'link-b')).toBeDefined();
    expect(d.pick('eu')?.relayId).toBe('c');
    // a heartbeat of the same link keeps it draining
    d.heartbeat(relay('a', 'eu', 0));
    expect(d.pick('eu')?.relayId).toBe('c');
  });
});

describe('relay link: draining and CPU in heartbeats', () => {
  it('tells the directory once when heartbeats say the relay drains (a link that missed the draining frame)', async () => {
    const f = await registeredLink();
    const beat = (extra: Record<string, unknown>) =>
      f.link.message(
        f.socket,
        frame({ type: 'heartbeat', load: 0, peers: 0, portsInUse: 0, eventLoopLagMs: 1, ...extra }),
      );
    f.clock.advance(HEARTBEAT_INTERVAL_MS);
    await beat({ draining: true });
    f.clock.advance(HEARTBEAT_INTERVAL_MS);
    await beat({ draining: true });
    expect(f.directory.calls.filter((c) => c.startsWith('draining'))).toEqual([
      'draining relay-a ' + f.directory.entries[0]!.linkId,
    ]);
  });

  it('forwards a heartbeat whose CPU moved by a tenth of a core, with the CPU', async () => {
    const f = await registeredLink();
    const beat = async (cpu: number) => {
      f.clock.advance(HEARTBEAT_INTERVAL_MS);
      await f.link.message(
        f.socket,
        frame({ type: 'heartbeat', load: 0, peers: 0, portsInUse: 0, eventLoopLagMs: 1, cpu }),
      );
    };
    const forwarded = () => f.directory.calls.filter((c) => c.startsWith('heartbeat')).length;
    await beat(0.01);
    await beat(0.05);
    expect(forwarded()).toBe(0);
    await beat(0.5);
    expect(forwarded()).toBe(1);
    expect(f.directory.entries.at(-1)).toMatchObject({ cpu: 0.5 });
  });
});
