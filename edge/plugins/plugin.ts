import type { CommandOp, CommandResult } from '../../shared/control/commands.js';
import type { RecordingClosedEvent } from '../../shared/control/recording.js';
import type { ViewerLayerEvent } from '../../shared/control/streaming.js';
import type { Jsep } from '../../shared/janus/requests.js';
import type { CommandArgs, RelayRef } from '../relays/relayClient.js';

/** `peer.create` options: EchoTest settings, or a VideoRoom publisher/subscriber (shared/control). */
export type PeerCreateOptions = NonNullable<CommandArgs<'peer.create'>['options']>;
/** Commands about a handle's own PeerConnection; the core fills in its session and handle ids. */
export type PeerCommandOp = Exclude<CommandOp, 'peer.create' | 'peer.trickle' | 'peer.hangup'>;
export type PeerCommandFields<O extends PeerCommandOp> = Omit<CommandArgs<O>, 'op' | 'sessionId' | 'handleId'>;

/** What a plugin sees of one attached handle, and how it talks back to the client. */
export interface HandleContext {
  readonly sessionId: number;
  readonly handleId: number;
  readonly opaqueId?: string;
  /** Pushes a plugin `event` to the session's transport; `transaction` ties it to a request. */
  pushEvent(data: Record<string, unknown>, jsep?: Jsep, transaction?: string): void;
  /** Emits a type-64 plugin event to the event handlers. */
  notifyEvent(data: Record<string, unknown>): void;
  /** This handle's PeerConnection on a relay. */
  readonly media: MediaAccess;
  /** Small plugin state kept with the handle (persisted with the session). */
  getState<T>(): T | undefined;
  setState(value: unknown): void;
}

/**
 * A plugin's access to its handle's PeerConnection. The core picks the relay (least loaded in the
 * client's region), forwards trickled candidates and relay events, and hangs the peer up when the
 * handle or session ends; the plugin only negotiates. Failures throw JanusApiError.
 */
export interface MediaAccess {
  readonly hasPeer: boolean;
  /** The relay holding the PeerConnection, if any. */
  readonly relay: RelayRef | undefined;
  /**
   * Places the PeerConnection on a relay — the given one, else the least loaded in the client's
   * region — with the client's offer (answer back) or without (the relay's offer back).
   */
  open(
    offer: { sdp: string } | undefined,
    options: PeerCreateOptions,
    placement?: RelayRef,
  ): Promise<CommandResult<'peer.create'>>;
  /** The relay a PeerConnection of this handle goes to: the one it has, else the least loaded in the client's region. */
  place(): Promise<RelayRef>;
  /**
   * Hangs the PeerConnection up; nothing waits for the relay. As Janus's `close_pc`, whatever the plugin's
   * cause, the client hears `hangup` with reason "Close PC".
   */
  close(): void;
  /** Runs a command on the relay that holds the PeerConnection (`peer.offer`, `peer.answer`, `echo.configure`, …). */
  command<O extends PeerCommandOp>(op: O, fields: PeerCommandFields<O>): Promise<CommandResult<O>>;
  /** Runs a command of this handle on a relay where it holds no PeerConnection (a relay's recordings, from `place()`). */
  commandAt<O extends PeerCommandOp>(relay: RelayRef, op: O, fields: PeerCommandFields<O>): Promise<CommandResult<O>>;
}

export interface PluginMessage {
  transaction: string;
  body: Record<string, unknown>;
  jsep?: Jsep;
  /** The requesting client's address (`CF-Connecting-IP`, else the session's), when known: per-address limits. */
  address?: string;
}

/**
 * The answer to a `message`: `ok` is a synchronous `success` with plugindata (and maybe a jsep),
 * `ack` means the plugin works on it and will `pushEvent` later, `error` becomes Janus error 462.
 */
export type PluginResult =
  | { kind: 'ok'; data: Record<string, unknown>; jsep?: Jsep }
  | { kind: 'ack'; hint?: string }
  | { kind: 'error'; reason: string };

export interface PluginInfo {
  readonly package: string;
  readonly name: string;
  readonly author: string;
  readonly description: string;
  readonly version: number;
  readonly versionString: string;
}

/**
 * The internal plugin interface. Every method must return promptly: slow work (relay calls, room
 * coordination) runs after `handleMessage` has answered `ack` and reports through `pushEvent`.
 * The coordinator never awaits `destroyHandle` or `hangupMedia` on an API path.
 */
export interface Plugin {
  readonly info: PluginInfo;
  createHandle(ctx: HandleContext): Promise<void> | void;
  handleMessage(ctx: HandleContext, message: PluginMessage): Promise<PluginResult> | PluginResult;
  /** The handle's PeerConnection is up (`webrtcup`): Janus's setup_media. */
  setupMedia?(ctx: HandleContext): Promise<void> | void;
  /** The PeerConnection is gone (hangup request, admin hangup_webrtc, relay loss). */
  hangupMedia(ctx: HandleContext, reason: string): Promise<void> | void;
  destroyHandle(ctx: HandleContext): Promise<void> | void;
  /** Admin `message_plugin`; absent means the plugin has no admin hook (490). */
  handleAdminMessage?(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** `plugin_specific` of admin `handle_info`. */
  queryHandle?(ctx: HandleContext): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** A recording file of the handle's PeerConnection closed on its relay (peer.record); Janus tells no client. */
  recordingClosed?(ctx: HandleContext, event: RecordingClosedEvent): void;
  /** A simulcast substream / temporal layer change on the handle's viewer m-line (Streaming). */
  viewerLayer?(ctx: HandleContext, event: ViewerLayerEvent): void;
  /** Calls from the plugin's own coordination objects (e.g. a VideoRoom telling a participant). */
  handleInternal?(ctx: HandleContext, call: unknown): Promise<void> | void;
}
