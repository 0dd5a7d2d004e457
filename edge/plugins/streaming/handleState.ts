import type { HandleContext } from '../plugin.js';
import { stError, StreamingError } from './errors.js';
import type { MountpointId } from './schemas.js';
import type { HandleAddress } from './state.js';

/** What a Streaming handle is, kept with the handle: the mountpoint it watches and its m-lines. */
export interface ViewerHandleState {
  id: MountpointId;
  /** Its subscriber m-lines (the relay's mids) and their kinds, in order: `switch` re-points them; `svc` a VP9 SVC stream. */
  mlines: Array<{ mid: string; type: 'audio' | 'video' | 'data'; svc?: boolean }>;
  paused?: boolean;
  /** The PeerConnection is up (`setupMedia`): `start` answers `started` and admin `handle_info` shows it, as Janus. */
  started?: true;
  /** The viewer offered first (a WHEP player): its restart brings its own offer. */
  offered?: true;
}

export const who = (ctx: HandleContext): HandleAddress => ({ sessionId: ctx.sessionId, handleId: ctx.handleId });

export const viewerState = (ctx: HandleContext) => ctx.getState<ViewerHandleState>();

/** Janus 1.1.2's 455 texts for a request that needs a mountpoint (`pause` says "start", as Janus's does). */
const NOT_WATCHING = {
  start: "Can't start: no mountpoint set",
  pause: "Can't start: no mountpoint set",
  configure: "Can't configure: not on a mountpoint",
  switch: "Can't switch: not on a mountpoint",
} as const;

/** The handle's viewer state, or Janus's 455 for a request that needs one. */
export function watching(ctx: HandleContext, request: keyof typeof NOT_WATCHING): ViewerHandleState {
  const st = viewerState(ctx);
  if (!st) throw stError(StreamingError.NO_SUCH_MOUNTPOINT, NOT_WATCHING[request]);
  return st;
}
