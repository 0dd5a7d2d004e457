import type { SfuPublisherStream, SfuSubscriberStream } from '../../../shared/control/sfu.js';
import type { RemoteCreator } from '../../core/remoteCreator.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { FeedId, JsonObject, RoomId, RoomOptions } from './schemas.js';
import { formatOf, type StreamFormat } from './streamFormats.js';

/**
 * A Janus reply or event payload: free-form JSON. Typed as JSON (not `Record<string, unknown>`) so
 * that it crosses Durable Object RPC with its type.
 */
export type JanusData = JsonObject;

/** One stream a publisher sends (a publisher entry's `streams[]`, §5.3): the relay's description, plus the room's. */
export interface PubStream extends Omit<SfuPublisherStream, 'fmtp'>, StreamFormat {
  description?: string;
  moderated?: boolean;
  /** Audio with talking detection: the last state the relay reported. */
  talking?: boolean;
}

/** Which handle a participant is: events to it go to that session's shard. */
export interface HandleAddress {
  sessionId: number;
  handleId: number;
}

export interface Publisher extends HandleAddress {
  id: FeedId;
  privateId: number;
  display?: string;
  metadata?: JsonObject;
  /** Set while it publishes: its streams, as the relay described them. */
  streams?: PubStream[];
  /** The relay holding its PeerConnection, while it publishes. */
  relay?: RelayRef;
  /** A remote publisher (§5.7): fed by plain RTP on these ports of its relay (announced at `ip`); its handle address is synthetic. */
  remote?: { ip?: string; port: number; rtcpPort: number };
  /** A remote publisher from its reservation on (before its relay gave it `remote` ports): it has no handle. */
  handleless?: true;
  /**
   * Who added a remote publisher (session and client address; none through admin `message_plugin`),
   * set from its reservation on: per-session and per-address limits count from it.
   */
  createdBy?: RemoteCreator;
  /** `publish_remotely` targets of a local publisher, each with the relay forwarders that feed it. */
  remotizations?: Remotization[];
  /** Janus's `recording_active`: recorded whenever it publishes (set by `record`, `enable_recording`, a recorded room). */
  record?: boolean;
  /** Janus's `recording_base`: the publisher's `filename`, forgotten when its PeerConnection goes (as in Janus). */
  filename?: string;
  /** Set while its relay records it: where (the relay adds `-<kind>-<mindex>.mjr` per m-line). */
  recording?: { dir?: string; base: string };
}

export interface Remotization {
  remoteId: string;
  host: string;
  port: number;
  rtcpPort?: number;
  /** Relay forwarder ids; empty while the relay is setting them up. */
  forwarderIds: number[];
  /** SDES keying of the remote leg (reused for streams added later). */
  srtp?: { suite: 32 | 80; crypto: string };
}

/** One m-line of a subscriber's PeerConnection, as the relay describes it. */
/** A subscriber's m-line as its relay lists it, and Janus's `ready`: the client answered it since it got its source. */
export interface SubStream extends SfuSubscriberStream {
  ready?: boolean;
}

export interface Subscriber extends HandleAddress {
  privateId?: number;
  autoupdate: boolean;
  streams: SubStream[];
  paused: boolean;
  /** The relay holding its PeerConnection (chosen by its region before the offer is made); gone with the PeerConnection. */
  relay?: RelayRef;
  /** Feeds being added (subscribe, update, switch) that its m-lines do not show yet: their cascades must stay. */
  wants?: FeedId[];
}

/**
 * A publisher's media carried to another relay for the subscribers there: the publisher's relay
 * forwards its streams (Janus publish_remotely wire format) to a remote publisher on `to`, named by
 * the publisher's own feed key, so subscribers there address it exactly as they would the original.
 * One per (publisher, relay); it lives while a subscriber on `to` receives or wants the feed.
 */
export interface Cascade extends HandleAddress {
  /** The publisher; the handle address is its feed key on both relays. */
  feedId: FeedId;
  /** The relay holding the publisher's media, where the forwarders run. */
  from: RelayRef;
  /** The relay of the subscribers, where the remote publisher's sockets are. */
  to: RelayRef;
  ip: string;
  port: number;
  rtcpPort: number;
  /** Forwarder ids on `from`. */
  forwarderIds: number[];
}

export interface Forwarder {
  streamId: number;
  publisherId: FeedId;
  mid: string;
  type: string;
  host: string;
  port: number;
  rtcpPort?: number;
  ssrc?: number;
  pt?: number;
  srtp: boolean;
  /** The forwarder's id on the relay that runs it. */
  relayForwarderId: number;
}

export interface RoomState {
  room: RoomId;
  options: RoomOptions & {
    publishers: number;
    bitrate: number;
    fir_freq: number;
    audiocodec: string;
    videocodec: string;
  };
  permanent: boolean;
  createdAt: number;
  /** `allowed` tokens; kept while the check is disabled, as Janus keeps them. */
  allowed?: string[];
  /** Whether joins are checked against `allowed` (older states: whenever `allowed` exists). */
  checkAllowed?: boolean;
  publishers: Publisher[];
  subscribers: Subscriber[];
  forwarders: Forwarder[];
  nextForwarderId: number;
  /** Publishers' media carried between relays (older states: none). */
  cascades?: Cascade[];
  /** Relay links told to report their loss to this room (remote publishers or cascades use them). */
  watched?: string[];
}

/** Janus's defaults for a new room (§5.1), with a nonzero bitrate raised to at least 64 kbps. */
export function normalizeOptions(o: RoomOptions): RoomState['options'] {
  const bitrate = o.bitrate ?? 0;
  return {
    ...o,
    description: o.description,
    publishers: o.publishers ?? 3,
    bitrate: bitrate > 0 && bitrate < 64000 ? 64000 : bitrate,
    fir_freq: o.fir_freq ?? 0,
    audiocodec: o.audiocodec ?? 'opus',
    videocodec: o.videocodec ?? 'vp8',
  };
}

/**
 * A publisher entry as in `publishers` arrays (janus_videoroom_notify_about_publisher); `talking` only
 * in rooms with audiolevel_event, as Janus lists it.
 */
export function publisherEntry(p: Publisher, room: { audiolevel_event?: boolean }): JanusData {
  const e: JanusData = { id: p.id };
  if (p.display !== undefined) e.display = p.display;
  if (p.metadata !== undefined) e.metadata = p.metadata;
  Object.assign(e, negotiatedCodecs(p.streams ?? []));
  e.streams = streamEntries(p);
  if (room.audiolevel_event) e.talking = isTalking(p);
  return { ...e, ...placementOf(p) };
}

/** `audio_codec`/`video_codec` of a publisher's first enabled stream of each kind, for the kinds it has. */
export function negotiatedCodecs(
  streams: ReadonlyArray<{ type?: unknown; codec?: unknown; disabled?: unknown }>,
): JanusData {
  const codec = (type: string) => {
    const c = streams.find((s) => s.type === type && !s.disabled)?.codec;
    return typeof c === 'string' ? c : undefined;
  };
  const audio = codec('audio');
  const video = codec('video');
  return { ...(audio ? { audio_codec: audio } : {}), ...(video ? { video_codec: video } : {}) };
}

/**
 * Our extension to publisher and participant entries (extra keys, which Janus clients ignore): the
 * relay holding a publisher's PeerConnection and its region, so a page can show where each one is.
 */
function placementOf(p: Publisher): JanusData {
  if (p.remote || !p.relay) return {};
  return p.relay.region ? { relay: p.relay.relayId, region: p.relay.region } : { relay: p.relay.relayId };
}

/** A publisher's streams as Janus lists them (`publishers[].streams`, and `joined` after joinandconfigure). */
export function streamEntries(p: Publisher): JanusData[] {
  return (p.streams ?? []).map((s) => {
    const out: JanusData = { type: s.type, mindex: s.mindex, mid: s.mid };
    if (s.disabled) out.disabled = true;
    else {
      if (s.codec) out.codec = s.codec;
      Object.assign(out, formatOf(s));
      if (s.description) out.description = s.description;
      if (s.simulcast) out.simulcast = true;
      if (s.moderated) out.moderated = true;
      if (s.talking !== undefined) out.talking = s.talking;
    }
    return out;
  });
}

export function participantEntry(p: Publisher): JanusData {
  if (p.remote) {
    // Janus lists a remote publisher as `remote: true`, without metadata or talking state.
    const r: JanusData = { id: p.id };
    if (p.display !== undefined) r.display = p.display;
    return { ...r, remote: true, publisher: true };
  }
  const e: JanusData = { id: p.id, publisher: p.streams !== undefined };
  if (p.display !== undefined) e.display = p.display;
  if (p.metadata !== undefined) e.metadata = p.metadata;
  if (p.streams !== undefined) e.talking = isTalking(p);
  return { ...e, ...placementOf(p) };
}

const isTalking = (p: Publisher) => p.streams?.some((s) => s.talking === true) ?? false;

/** The name of a room's VideoRoomDO (room ids may be numbers or strings: the type is part of the name). */
export function videoRoomObjectName(room: RoomId): string {
  return `${typeof room}:${room}`;
}

/** A room's entry in `list` (§5.2). */
export function roomSummary(r: RoomState): JanusData {
  const o = r.options;
  return {
    room: r.room,
    description: o.description ?? `Room ${r.room}`,
    pin_required: o.pin !== undefined,
    is_private: o.is_private ?? false,
    max_publishers: o.publishers,
    bitrate: o.bitrate,
    ...(o.bitrate_cap ? { bitrate_cap: true } : {}),
    fir_freq: o.fir_freq,
    require_pvtid: o.require_pvtid ?? false,
    require_e2ee: o.require_e2ee ?? false,
    dummy_publisher: o.dummy_publisher ?? false,
    notify_joining: o.notify_joining ?? false,
    audiocodec: o.audiocodec,
    videocodec: o.videocodec,
    opus_fec: o.opus_fec ?? true,
    opus_dtx: o.opus_dtx ?? false,
    record: o.record ?? false,
    // As Janus: no rec_dir key when the room has none.
    ...(o.rec_dir !== undefined ? { rec_dir: o.rec_dir } : {}),
    lock_record: o.lock_record ?? false,
    num_participants: r.publishers.length,
    audiolevel_ext: o.audiolevel_ext ?? true,
    audiolevel_event: o.audiolevel_event ?? false,
    ...(o.audiolevel_event
      ? { audio_active_packets: o.audio_active_packets ?? 100, audio_level_average: o.audio_level_average ?? 25 }
      : {}),
    // Not negotiated by the relay (creating a room with them true is refused): never reported true.
    videoorient_ext: false,
    playoutdelay_ext: false,
    transport_wide_cc_ext: false,
  };
}

export const sameHandle = (a: HandleAddress, b: HandleAddress) =>
  a.sessionId === b.sessionId && a.handleId === b.handleId;

/** Whether the room's `allowed` list gates joins. */
export function checksAllowed(r: { allowed?: string[]; checkAllowed?: boolean }): boolean {
  return r.checkAllowed ?? r.allowed !== undefined;
}
