import { EventType } from '../../shared/janus/events.js';

/** Every event type (janus/events.h JANUS_EVENT_TYPE_ALL). */
export const ALL_EVENTS = Object.values(EventType).reduce((a, b) => a | b, 0);

const byName: Record<string, number> = {
  sessions: EventType.SESSION,
  handles: EventType.HANDLE,
  jsep: EventType.JSEP,
  webrtc: EventType.WEBRTC,
  media: EventType.MEDIA,
  plugins: EventType.PLUGIN,
  transports: EventType.TRANSPORT,
  core: EventType.CORE,
  external: EventType.EXTERNAL,
};

/**
 * An `events` setting of the sample event handler as a mask (janus_events_edit_events_mask):
 * "all", "none", or a comma separated list of sessions, handles, jsep, webrtc, media, plugins,
 * transports, core, external. Undefined for a name Janus does not know (refused, never ignored).
 */
export function parseEventsMask(text: string): number | undefined {
  const names = text
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  let mask = 0;
  for (const n of names) {
    if (n === 'all') mask = ALL_EVENTS;
    else if (n === 'none') mask = 0;
    else if (byName[n] !== undefined) mask |= byName[n];
    else return undefined;
  }
  return mask;
}

/** How the webhook gets events: which types, and whether several travel in one POST. */
export interface EventDeliverySettings {
  mask: number;
  grouping: boolean;
}

/**
 * What admin `query_eventhandler` "tweak" put in force in this isolate (the shared settings carry it
 * to every shard, which applies it here); undefined: the configured EVENTS_MASK / EVENTS_GROUPING.
 */
let runtime: EventDeliverySettings | undefined;

export function applyEventDeliverySettings(settings: Partial<EventDeliverySettings> | undefined): void {
  runtime = tweaked(settings);
}

/** What a tweak stored in the shared settings puts in force; undefined: the configured settings. */
function tweaked(settings: Partial<EventDeliverySettings> | undefined): EventDeliverySettings | undefined {
  return settings?.mask === undefined || settings.grouping === undefined
    ? undefined
    : { mask: settings.mask, grouping: settings.grouping };
}

/**
 * The delivery settings the shared settings (`eventsMask`, `eventsGrouping`) put in force, for an
 * object that reads them itself rather than through this isolate (an AudioBridge room).
 */
export function deliveryFromShared(
  shared: { eventsMask?: number; eventsGrouping?: boolean },
  configured: EventDeliverySettings,
): EventDeliverySettings {
  return tweaked({ mask: shared.eventsMask, grouping: shared.eventsGrouping }) ?? configured;
}

export function eventDeliverySettings(configured: EventDeliverySettings): EventDeliverySettings {
  return runtime ?? configured;
}
