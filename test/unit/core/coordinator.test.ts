import { noClientLimits } from '../../../edge/core/clientLimits.js';
import { describe, expect, it } from 'vitest';
import type { RelaySettings } from '../../../shared/control/messages.js';
import { CoreSubtype, EventType } from '../../../shared/janus/events.js';
import { Coordinator } from '../../../edge/core/coordinator.js';
import type {
  CoordinatorConfig,
  CoordinatorEvents,
  CoordinatorHost,
  CoordinatorShard,
  CoordinatorRoom,
} from '../../../edge/core/coordinatorHost.js';
import type { RemoteTally } from '../../../edge/core/remoteCreator.js';
import { CoordinatorMemory } from './coordinatorMemory.js';
import type { SharedSettings } from '../../../edge/core/settings.js';
import type { Counts } from '../../../edge/core/shardApi.js';
import type { EmitOptions } from '../../../edge/events/eventSink.js';
import { Logger } from '../../../edge/log.js';
import { DIRECTORY_REFRESH_MS, STALE_MS, type RelayEntry } from '../../../edge/relays/directory.js';

class RecordingEvents implements CoordinatorEvents {
  readonly emitted: { type: number; event: Record<string, unknown>; opts?: EmitOptions }[] = [];
  constructor(readonly enabled: boolean) {}
  emit(type: number, event: Record<string, unknown>, opts?: EmitOptions): void {
    this.emitted.push({ type, event, opts });
  }
}

/** A shard that counts what it is given and answers its counts, slowly enough to show waiting. */
class FakeShard implements CoordinatorShard {
  applied: SharedSettings[] = [];
  failCounts = false;
  constructor(readonly c: Counts) {}
  async applySettings(settings: SharedSettings): Promise<void> {
    await new Promise((r) => setTimeout(r, 1));
    this.applied.push(settings);
  }
  async counts(): Promise<Counts> {
    if (this.failCounts) throw new Error('shard unreachable');
    return this.c;
  }
  async peersOf(): Promise<number> {
    return 0;
  }
}

/** A VideoRoom as the coordinator asks it: its tally of a creator's remote publishers; `asked` counts the questions. */
class FakeRoom implements CoordinatorRoom {
  asked = 0;
  /** Runs while the room is being asked (to race another addition against it). */
  during?: () => Promise<void>;
  constructor(public tally: RemoteTally = { session: 0, address: 0, total: 0 }) {}
  async remoteTally(): Promise<RemoteTally> {
    this.asked++;
    const answer = { ...this.tally };
    await this.during?.();
    return answer;
  }
}

const config: CoordinatorConfig = {
  sessionTimeout: 60,
  serverName: 'edge-test',
  statusPeriod: 5,
  limits: noClientLimits,
};

function makeCoordinator(opts: { events?: boolean; storage?: CoordinatorMemory } = {}) {
  const storage = opts.storage ?? new CoordinatorMemory();
  const events = new RecordingEvents(opts.events ?? true);
  const clock = { time: 1_000_000 };
  const shards = [
    new FakeShard({ sessions: 1, handles: 2, peerconnections: 3 }),
    new FakeShard({ sessions: 10, handles: 20, peerconnections: 30 }),
  ];
  const pushed: Array<{ linkId: string } & RelaySettings> = [];
  const rooms = new Map<number | string, FakeRoom>();
  const host: CoordinatorHost = {
    storage,
    events,
    log: new Logger('silent', 'core'),
    now: () => clock.time,
    shards: () => shards,
    relayLink: (linkId) => ({
      applySettings: async (s) => {
        pushed.push({ linkId, ...s });
      },
    }),
    room: (id) => rooms.get(id) ?? new FakeRoom(),
  };
  return { core: new Coordinator(host, config), storage, events, clock, shards, pushed, rooms };
}

function relay(relayId: string, region: string, peers = 0): RelayEntry {
  return { relayId, region, address: '10.0.0.1', capacity: 10, load: 0, peers, linkId: `link-${relayId}` };
}

describe('core coordinator: settings', () => {
  it('creates the settings on first start, announces it, and schedules the status alarm', async () => {
    const f = makeCoordinator();
    await f.core.restore();
    const settings = { version: 1, sessionTimeout: 60, acceptNewSessions: true, tokens: {} };
    expect(f.core.getSettings()).toEqual(settings);
    expect(f.storage.data.get('settings')).toEqual(settings);
    expect(f.events.emitted).toEqual([
      {
        type: EventType.CORE,
        event: { status: 'started', info: { 'server-name': 'edge-test', 'session-timeout': 60 } },
        opts: { subtype: CoreSubtype.STARTUP },
      },
    ]);
    expect(f.storage.alarm).toBe(1_000_000 + 5_000);
  });

  it('restores stored settings without announcing a start, and keeps a scheduled alarm', async () => {
    const storage = new CoordinatorMemory();
    const stored = { version: 7, sessionTimeout: 5, acceptNewSessions: false, tokens: { t: ['x'] } };
    await storage.put('settings', stored);
    storage.alarm = 42;
    const f = makeCoordinator({ storage });
    await f.core.restore();
    expect(f.core.getSettings()).toEqual(stored);
    expect(f.events.emitted).toEqual([]);
    expect(storage.alarm).toBe(42);
  });

  it('schedules no alarm without an event handler', async () => {
    const f = makeCoordinator({ events: false });
    await f.core.restore();
    expect(f.storage.alarm).toBeNull();
    await f.core.alarm();
    expect(f.storage.alarm).toBeNull();
  });

  it('applies a change with a new version, stores it, and waits until every shard has it', async () => {
    const f = makeCoordinator();
    await f.core.restore();
    const s = await f.core.updateSettings({ acceptNewSessions: false });
    expect(s).toEqual({ version: 2, sessionTimeout: 60, acceptNewSessions: false, tokens: {} });
    expect(f.storage.data.get('settings')).toEqual(s);
    for (const shard of f.shards) expect(shard.applied).toEqual([s]);
    expect((await f.core.updateSettings({ sessionTimeout: 9 })).version).toBe(3);
    expect(f.core.getSettings()).toMatchObject({ version: 3, sessionTimeout: 9, acceptNewSessions: false });
  });
});

describe('core coordinator: relay-wide settings', () => {
  it('pushes no_media_timer and slowlink_threshold to every relay, and hands them to relays that register later', async () => {
    const f = makeCoordinator();
    await f.core.restore();
    expect(await f.core.relayUp(relay('a', 'eu', 0))).toEqual({});
    await f.core.relayUp(relay('b', 'us', 0));
    await f.core.updateSettings({ sessionTimeout: 30 });
    expect(f.pushed).toEqual([]);
    await f.core.updateSettings({ noMediaTimer: 4 });
    expect(f.pushed).toEqual([
      { linkId: 'link-a', noMediaTimerSec: 4 },
      { linkId: 'link-b', noMediaTimerSec: 4 },
    ]);
    await f.core.updateSettings({ slowlinkThreshold: 7 });
    expect(f.pushed.slice(2)).toEqual([
      { linkId: 'link-a', noMediaTimerSec: 4, slowlinkThreshold: 7 },
      { linkId: 'link-b', noMediaTimerSec: 4, slowlinkThreshold: 7 },
    ]);
    expect(await f.core.relayUp(relay('c', 'ap', 0))).toEqual({ noMediaTimerSec: 4, slowlinkThreshold: 7 });
  });

  it('pushes min_nack_queue to every relay as minNackQueueMs, and to relays that register later', async () => {
    const f = makeCoordinator();
    await f.core.restore();
    await f.core.relayUp(relay('a', 'eu', 0));
    await f.core.updateSettings({ minNackQueue: 0 });
    expect(f.pushed).toEqual([{ linkId: 'link-a', minNackQueueMs: 0 }]);
    expect(await f.core.relayUp(relay('b', 'us', 0))).toEqual({ minNackQueueMs: 0 });
  });
});

describe('core coordinator: counts and events', () => {
  it('sums the shards’ counts', async () => {
    const f = makeCoordinator();
    expect(await f.core.counts()).toEqual({ sessions: 11, handles: 22, peerconnections: 33 });
  });

  it('emits custom events as external events', async () => {
    const f = makeCoordinator();
    f.core.customEvent('my.schema', { a: 1 });
    expect(f.events.emitted).toEqual([{ type: EventType.EXTERNAL, event: { schema: 'my.schema', data: { a: 1 } } }]);
  });

  it('emits the status update on its alarm and reschedules, even when a shard fails', async () => {
    const f = makeCoordinator();
    f.clock.time = 2_000_000;
    await f.core.alarm();
    expect(f.storage.alarm).toBe(2_005_000);
    expect(f.events.emitted).toEqual([
      {
        type: EventType.CORE,
        event: { status: 'update', info: { sessions: 11, handles: 22, peerconnections: 33, 'stats-period': 5 } },
        opts: { subtype: CoreSubtype.STARTUP },
      },
    ]);
    f.shards[1]!.failCounts = true;
    f.clock.time = 3_000_000;
    await f.core.alarm();
    expect(f.storage.alarm).toBe(3_005_000);
    expect(f.events.emitted).toHaveLength(1);
  });
});

describe('core coordinator: relays and rooms', () => {
  it('keeps the relay directory from link reports and picks by region and load', async () => {
    const f = makeCoordinator();
    await f.core.relayUp(relay('a', 'eu', 5));
    await f.core.relayUp(relay('b', 'eu', 1));
    await f.core.relayUp(relay('c', 'us', 0));
    expect(f.core.pickRelay('eu')?.relayId).toBe('b');
    expect(f.core.pickRelay('ap')?.relayId).toBe('c');
    await f.core.relayDraining('b', 'link-b');
    expect(f.core.pickRelay('eu')?.relayId).toBe('a');
    await f.core.relayDown('a', 'other-link');
    expect(f.core.listRelays().map((r) => r.relayId)).toEqual(['a', 'b', 'c']);
    await f.core.relayDown('a', 'link-a');
    expect(f.core.listRelays().map((r) => r.relayId)).toEqual(['b', 'c']);
  });

  it('offers no relay whose link has not reported it within STALE_MS, by its clock', async () => {
    const f = makeCoordinator();
    await f.core.relayUp(relay('a', 'eu'));
    f.clock.time += STALE_MS - 2_000;
    await f.core.relayHeartbeat(relay('b', 'eu', 3));
    f.clock.time += 3_000;
    expect(f.core.pickRelay('eu')?.relayId).toBe('b');
    f.clock.time += STALE_MS;
    expect(f.core.pickRelay('eu')).toBeUndefined();
  });

  it('keeps offering a relay its link reports every DIRECTORY_REFRESH_MS', async () => {
    const f = makeCoordinator();
    await f.core.relayUp(relay('a', 'eu'));
    for (let i = 0; i < 5; i++) {
      f.clock.time += DIRECTORY_REFRESH_MS;
      expect(f.core.pickRelay('eu')?.relayId).toBe('a');
      await f.core.relayHeartbeat(relay('a', 'eu'));
    }
  });

  it('a restarted coordinator still offers the connected relays, without waiting for their next report', async () => {
    const f = makeCoordinator();
    await f.core.restore();
    await f.core.relayUp(relay('a', 'eu', 1));
    await f.core.relayUp(relay('b', 'us', 0));
    await f.core.relayUp(relay('c', 'us', 0));
    await f.core.relayDraining('b', 'link-b');
    await f.core.relayDown('c', 'link-c');
    const writes = f.storage.data.size;
    for (let i = 0; i < 10; i++) await f.core.relayHeartbeat(relay('a', 'eu', i));
    expect(f.storage.data.size).toBe(writes);

    const restarted = makeCoordinator({ storage: f.storage });
    await restarted.core.restore();
    expect(restarted.core.listRelays().map((r) => `${r.relayId} ${r.linkId} ${r.draining ?? false}`)).toEqual([
      'a link-a false',
      'b link-b true',
    ]);
    expect(restarted.core.pickRelay('eu')?.relayId).toBe('a');
    expect(restarted.core.pickRelay('us')?.relayId).toBe('a');
    restarted.clock.time += STALE_MS + 1;
    expect(restarted.core.pickRelay('eu')).toBeUndefined();
  });

  it('a relay reconnected on a new link replaces the stored entry; the old link going down leaves it', async () => {
    const f = makeCoordinator();
    await f.core.relayUp(relay('a', 'eu'));
    await f.core.relayHeartbeat({ ...relay('a', 'eu'), linkId: 'link-a2' });
    await f.core.relayDown('a', 'link-a');
    const restarted = makeCoordinator({ storage: f.storage });
    await restarted.core.restore();
    expect(restarted.core.listRelays().map((r) => r.linkId)).toEqual(['link-a2']);
    await restarted.core.relayDown('a', 'link-a2');
    expect([...f.storage.data.keys()].filter((k) => k.startsWith('relay:'))).toEqual([]);
  });

  it('lists created rooms by id and type, and forgets destroyed ones', async () => {
    const f = makeCoordinator();
    await f.core.roomCreated(1234);
    await f.core.roomCreated('1234');
    await f.core.roomCreated('lobby');
    await f.core.roomDestroyed('lobby');
    expect((await f.core.listRooms()).sort()).toEqual([1234, '1234']);
  });
});

describe('core coordinator: remote publishers per session and per address (RemoteHolders)', () => {
  const creator = { sessionId: 7, address: '198.51.100.1' };
  const holderKeys = (storage: CoordinatorMemory) => [...storage.data.keys()].filter((k) => k.startsWith('remotes:'));

  it('sums the tallies of the rooms holding remote publishers with the asking room’s own, and forgets rooms that hold none', async () => {
    const f = makeCoordinator();
    const two = new FakeRoom({ session: 1, address: 2, total: 3 });
    const three = new FakeRoom({ session: 0, address: 0, total: 1 });
    f.rooms.set(2, two).set('three', three);
    expect(await f.core.countRemotePublishers(2, creator, two.tally)).toEqual({ session: 1, address: 2 });
    expect(await f.core.countRemotePublishers('three', creator, three.tally)).toEqual({ session: 1, address: 2 });
    expect(two.asked).toBe(1);
    three.tally = { session: 0, address: 0, total: 0 };
    expect(await f.core.countRemotePublishers(1, creator, { session: 1, address: 1, total: 1 })).toEqual({
      session: 2,
      address: 3,
    });
    expect(holderKeys(f.storage).sort()).toEqual(['remotes:number:1', 'remotes:number:2']);
    await f.core.countRemotePublishers(1, creator, { session: 1, address: 1, total: 1 });
    expect(three.asked).toBe(1);
  });

  it('keeps a room that joined again while it was asked (its new reservation must be counted later)', async () => {
    const f = makeCoordinator();
    const two = new FakeRoom({ session: 0, address: 0, total: 1 });
    f.rooms.set(2, two);
    await f.core.countRemotePublishers(2, creator, two.tally);
    two.tally = { session: 0, address: 0, total: 0 };
    // While room 2 answers "none", it reserves a new one and joins again.
    two.during = async () => {
      two.during = undefined;
      await f.core.countRemotePublishers(2, creator, { session: 1, address: 1, total: 1 });
    };
    await f.core.countRemotePublishers(1, creator, { session: 1, address: 1, total: 1 });
    expect(holderKeys(f.storage)).toContain('remotes:number:2');
  });

  it('the rooms are kept in storage (a restarted coordinator still asks them); a destroyed room is forgotten', async () => {
    const storage = new CoordinatorMemory();
    const first = makeCoordinator({ storage });
    await first.core.countRemotePublishers(2, creator, { session: 1, address: 1, total: 1 });
    const again = makeCoordinator({ storage });
    const two = new FakeRoom({ session: 1, address: 1, total: 1 });
    again.rooms.set(2, two);
    expect(await again.core.countRemotePublishers(1, creator, { session: 1, address: 1, total: 1 })).toEqual({
      session: 2,
      address: 2,
    });
    await again.core.roomCreated(2);
    await again.core.roomDestroyed(2);
    expect(holderKeys(storage)).toEqual(['remotes:number:1']);
  });

  it('fails when a room cannot be asked, rather than counting without it', async () => {
    const f = makeCoordinator();
    await f.core.countRemotePublishers(2, creator, { session: 1, address: 1, total: 1 });
    const two = new FakeRoom();
    two.during = async () => {
      throw new Error('room unreachable');
    };
    f.rooms.set(2, two);
    await expect(f.core.countRemotePublishers(1, creator, { session: 0, address: 0, total: 1 })).rejects.toThrow(
      'room unreachable',
    );
  });
});
