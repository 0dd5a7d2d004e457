import { describe, expect, it } from 'vitest';
import {
  DELIVERY_SETTINGS_TTL_MS,
  RoomEventDelivery,
  type DeliverySettingsSource,
} from '../../../edge/plugins/audiobridge/eventDelivery.js';
import { ALL_EVENTS, type EventDeliverySettings } from '../../../edge/events/eventMask.js';
import { EventType } from '../../../shared/janus/events.js';

/**
 * An AudioBridge room's event-handler delivery follows the settings stored in the core (what an
 * admin's tweak changed), not whatever the isolate it runs in was told: read before its first event,
 * again once older than the TTL, events held in order meanwhile. (The sink applying them:
 * test/audiobridge/eventMask.test.ts.)
 */

class Source implements DeliverySettingsSource {
  clock = 0;
  reads = 0;
  failing = false;
  pending: Array<() => void> = [];
  constructor(public stored: EventDeliverySettings) {}
  now(): number {
    return this.clock;
  }
  read(): Promise<EventDeliverySettings> {
    this.reads++;
    return new Promise((resolve, reject) =>
      this.pending.push(() => (this.failing ? reject(new Error('core unreachable')) : resolve({ ...this.stored }))),
    );
  }
  async answer(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    for (const f of p) f();
    await new Promise((r) => setTimeout(r, 0));
  }
}

const ALL = { mask: ALL_EVENTS, grouping: true };
const NO_PLUGINS = { mask: ALL_EVENTS & ~EventType.PLUGIN, grouping: true };

describe('AudioBridge room event delivery', () => {
  it('holds events until the settings are read, in order; reads again only after the TTL', async () => {
    const source = new Source(ALL);
    const d = new RoomEventDelivery(source, NO_PLUGINS);
    const out: number[] = [];
    d.whenFresh(() => out.push(1));
    d.whenFresh(() => out.push(2));
    expect(out).toEqual([]);
    expect(source.reads).toBe(1);
    await source.answer();
    expect(out).toEqual([1, 2]);
    expect(d.current()).toEqual(ALL);
    source.clock += DELIVERY_SETTINGS_TTL_MS - 1;
    d.whenFresh(() => out.push(3));
    expect(out).toEqual([1, 2, 3]);
    expect(source.reads).toBe(1);
    // the admin tweaks the mask: the room follows within the TTL
    source.stored = NO_PLUGINS;
    source.clock += 1;
    d.whenFresh(() => out.push(4));
    expect(source.reads).toBe(2);
    await source.answer();
    expect(out).toEqual([1, 2, 3, 4]);
    expect(d.current()).toEqual(NO_PLUGINS);
  });

  it('a failed read keeps the last settings known and tries again after the TTL', async () => {
    const source = new Source(NO_PLUGINS);
    const d = new RoomEventDelivery(source, ALL);
    source.failing = true;
    const out: number[] = [];
    d.whenFresh(() => out.push(1));
    await source.answer();
    expect(out).toEqual([1]);
    expect(d.current()).toEqual(ALL);
    d.whenFresh(() => out.push(2));
    expect(source.reads).toBe(1);
    source.failing = false;
    source.clock += DELIVERY_SETTINGS_TTL_MS;
    d.whenFresh(() => out.push(3));
    await source.answer();
    expect(out).toEqual([1, 2, 3]);
    expect(d.current()).toEqual(NO_PLUGINS);
  });
});
