import type { EventDeliverySettings } from '../../events/eventMask.js';

/** How long a room trusts the delivery settings it read (an admin's tweak reaches rooms within it). */
export const DELIVERY_SETTINGS_TTL_MS = 1000;

/** Where a room reads the delivery settings in force: the core coordinator's shared settings. */
export interface DeliverySettingsSource {
  read(): Promise<EventDeliverySettings>;
  now(): number;
}

/**
 * The event-handler `events` mask and `grouping` an AudioBridge room applies. A room object emits its
 * events itself (what it does on its own names no handle), and in production it runs in an isolate of
 * its own that the shards' pushed settings never reach: so it reads the settings an admin's
 * `query_eventhandler` tweak stored in the core (the one source of truth, kept in storage) before its
 * first event once woken, and again when its copy is older than {@link DELIVERY_SETTINGS_TTL_MS}. Events wait for a
 * read in flight, in order; nothing on the API path waits for them. A failed read keeps the last
 * settings known (at first the configured ones) until the next try.
 */
export class RoomEventDelivery {
  private settings: EventDeliverySettings;
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;
  private held: Array<() => void> = [];

  constructor(
    private readonly source: DeliverySettingsSource,
    configured: EventDeliverySettings,
  ) {
    this.settings = configured;
  }

  /** The settings in force for this room's event sink. */
  current(): EventDeliverySettings {
    return this.settings;
  }

  /** Runs `emit` under settings no older than the TTL: at once, or once they were read again. */
  whenFresh(emit: () => void): void {
    if (!this.reading && this.source.now() - this.readAt < DELIVERY_SETTINGS_TTL_MS) {
      emit();
      return;
    }
    this.held.push(emit);
    void this.refresh();
  }

  /** Reads the settings again (one read at a time). */
  refresh(): Promise<void> {
    this.reading ??= this.read();
    return this.reading;
  }

  private async read(): Promise<void> {
    try {
      this.settings = await this.source.read();
    } catch {
      // the last settings known stand; the next event after the TTL tries again
    } finally {
      this.readAt = this.source.now();
      this.reading = undefined;
      const held = this.held;
      this.held = [];
      for (const emit of held) emit();
    }
  }
}
