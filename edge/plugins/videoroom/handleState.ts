import type { Jsep } from '../../../shared/janus/requests.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { HandleContext } from '../plugin.js';
import { joinFirst, VideoRoomError, vrError } from './errors.js';
import type { OpusOptions } from './opusOptions.js';
import type { VideoProfiles } from './streamFormats.js';
import type { FeedId, RoomId } from './schemas.js';
import { negotiatedCodecs, type HandleAddress, type JanusData } from './state.js';
import type { FeedStream } from './subscribers.js';

/** What a VideoRoom handle is, kept with the handle. */
export interface HandleState {
  room: RoomId;
  role: 'publisher' | 'subscriber';
  id?: FeedId;
  /** A publisher's room Opus settings, for the offers of its renegotiations. */
  opus?: OpusOptions;
  /** A publisher's room h264_profile / vp9_profile, for the offers of its renegotiations. */
  videoProfiles?: VideoProfiles;
  /** A publisher's bitrate ceiling (room `bitrate` with `bitrate_cap`), for its `configure` requests. */
  bitrateCap?: number;
  /** Subscription changes waiting for the client to answer the offer in flight (§5.4 `updating`). */
  pending?: { add: FeedStream[]; remove: string[] };
  /** A subscriber whose client offered first (a WHEP player): its later offers are answered too. */
  offered?: true;
  /** A subscriber paused by `pause` (the room knows): `start` resumes it there too. */
  paused?: true;
  /** A publisher that left: as in Janus it stays on the handle with no room (426, or 425 to `join`). */
  left?: true;
}

/**
 * An asynchronous request's outcome; `hangup` closes the handle's PeerConnection (Janus's close_pc)
 * after the event is pushed, as Janus sends the request's event before the `hangup`.
 */
export type Result = { data: JanusData; jsep?: Jsep; hangup?: true };

/**
 * The REMB cap of a publisher that asked for `requested` (publish/configure `bitrate`): what it asked
 * for, bounded by the room's bitrate only when the room has `bitrate_cap` (Janus).
 */
export function cappedBitrate(requested: number, cap: number | undefined): number {
  return cap !== undefined && cap > 0 ? Math.min(cap, requested) : requested;
}

/** The handle as the room knows it. */
export function who(ctx: HandleContext): HandleAddress {
  return { sessionId: ctx.sessionId, handleId: ctx.handleId };
}

/** The handle's state; a request before `join` is Janus's 424, one after a publisher's `leave` 426. */
export function stateOf(ctx: HandleContext): HandleState {
  const st = ctx.getState<HandleState>();
  if (!st) throw joinFirst();
  if (st.left) throw vrError(VideoRoomError.NO_SUCH_ROOM, 'No such room');
  return st;
}

/** The handle's state while it is in a room (none before `join` or after `leave`). */
export function inRoom(ctx: HandleContext): HandleState | undefined {
  const st = ctx.getState<HandleState>();
  return st?.left ? undefined : st;
}

export function subscriberState(ctx: HandleContext): HandleState {
  const st = stateOf(ctx);
  if (st.role !== 'subscriber') throw vrError(VideoRoomError.INVALID_ELEMENT, 'Not a subscriber');
  return st;
}

/** The relay the handle's PeerConnection is on, once `open` has placed it. */
export function relayOf(ctx: HandleContext): RelayRef {
  const relay = ctx.media.relay;
  if (!relay) throw vrError(VideoRoomError.UNKNOWN_ERROR, 'No PeerConnection');
  return relay;
}

/** A placement that failed is made again by `open`, after the peer's admission (whose refusal comes first). */
export function settled<T>(r: PromiseSettledResult<T>): T | undefined {
  return r.status === 'fulfilled' ? r.value : undefined;
}

/** A publisher's `configured` with an answer: the negotiated codecs and its streams, as Janus sends it. */
export function configuredWith(room: RoomId, streams: JanusData[]): JanusData {
  return { videoroom: 'event', room, configured: 'ok', ...negotiatedCodecs(streams), streams };
}
