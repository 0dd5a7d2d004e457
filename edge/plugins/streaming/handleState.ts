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

/** The handle's viewer state, or Janus's 455 for a request that needs one ("Can't start: no mountpoint set"). */
export function watching(ctx: HandleContext, what: string): ViewerHandleState {
  const st = viewerState(ctx);
  if (!st) throw stError(StreamingError.NO_SUCH_MOUNTPOINT, `Can't ${what}: no mountpoint set`);
  return st;
}
