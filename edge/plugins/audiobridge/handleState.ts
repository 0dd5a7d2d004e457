import type { CommandResult } from '../../../shared/control/commands.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { HandleContext, PeerCommandFields, PeerCommandOp } from '../plugin.js';
import { abError, AudioBridgeError } from './errors.js';
import type { AbRoomId } from './schemas.js';
import type { HandleAddress, JanusData } from './state.js';
import type { Jsep } from '../../../shared/janus/requests.js';

/** What an AudioBridge handle is, kept with the handle: the room it is in and its id there. */
export interface AbHandleState {
  room: AbRoomId;
  id: AbRoomId;
  /** A plain-RTP participant's leg is no PeerConnection of the handle: its relay is kept here. */
  plainRtp?: RelayRef;
  /** Its media carries the audio level (kept for the room a changeroom moves it to). */
  audioLevel?: boolean;
  /** Its PeerConnection is bridged to a room mixing on another relay (bridging.ts). */
  bridged?: boolean;
  /** Its forwarding group in a room with groups (admin handle_info shows it, as Janus's query_session). */
  group?: string;
}

/** The group a room answered for the participant, as the handle keeps it. */
export const groupState = (settings: { group?: string }) =>
  settings.group !== undefined ? { group: settings.group } : {};

/** Runs a command about the handle's participant on the relay holding its media, if it has any. */
export function participantCommand<O extends PeerCommandOp>(
  ctx: HandleContext,
  st: AbHandleState,
  op: O,
  fields: PeerCommandFields<O>,
): Promise<CommandResult<O>> | undefined {
  if (st.plainRtp) return ctx.media.commandAt(st.plainRtp, op, fields);
  return ctx.media.hasPeer ? ctx.media.command(op, fields) : undefined;
}

/** An asynchronous request's outcome; `hangup` closes the handle's media after the event. */
export type Result = { data: JanusData; jsep?: Jsep; hangup?: true };

export const who = (ctx: HandleContext): HandleAddress => ({
  sessionId: ctx.sessionId,
  handleId: ctx.handleId,
  ...(ctx.opaqueId !== undefined ? { opaqueId: ctx.opaqueId } : {}),
});

export const joinedState = (ctx: HandleContext) => ctx.getState<AbHandleState>();

/**
 * Whether the handle still exists: the core's media access refuses one that is gone (detached, its
 * session ended), also while the plugin still holds its context.
 */
export function handleExists(ctx: HandleContext): boolean {
  try {
    return typeof ctx.media.hasPeer === 'boolean';
  } catch {
    return false;
  }
}

/** The handle's room, or 487 with Janus's wording for `what` ("configure", "leave", …). */
export function inRoom(ctx: HandleContext, what: string, why = 'not in a room'): AbHandleState {
  const st = joinedState(ctx);
  if (!st) throw abError(AudioBridgeError.NOT_JOINED, `Can't ${what} (${why})`);
  return st;
}
