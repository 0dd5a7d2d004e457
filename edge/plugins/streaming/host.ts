import type { RelayClient, RelayRef } from '../../relays/relayClient.js';
import type { HandleAddress, JanusData, MountpointState } from './state.js';
import type { MountpointId } from './schemas.js';

/** What the mountpoints ask of a viewer's handle (delivered through its session shard). */
export type StreamingCall =
  /** The viewer is removed (kick, kick_all, destroy): the event, then its PeerConnection goes. */
  { kind: 'st.removed'; data?: JanusData };

/** Calls from the Streaming object (`SessionShard.pluginCall` carries them untyped). */
export function isStreamingCall(call: unknown): call is StreamingCall {
  return typeof call === 'object' && call !== null && 'kind' in call && call.kind === 'st.removed';
}

/**
 * Everything the mountpoint logic needs from the world, so that it runs as plain classes: the
 * Durable Object provides it over storage, stubs and relay links; unit tests over memory.
 */
export interface StreamingHost {
  /** A mountpoint changed: persist it (undefined: it is gone). May be written behind. */
  save(id: MountpointId, state: MountpointState | undefined): void;
  /** Delivers a call to a viewer's handle: false when its shard has no such handle. */
  notify(to: HandleAddress, call: StreamingCall): Promise<boolean>;
  /** Tells event handlers (type 64, `janus.plugin.streaming`), naming the requester's handle when there is one. */
  pluginEvent(data: JanusData, from?: HandleAddress): void;
  /** The only way to command relays (mountpoint sockets, cascades). */
  readonly relays: RelayClient;
  /** A relay for a mountpoint created without a placement (admin `message_plugin`). */
  pickRelay(): Promise<RelayRef | undefined>;
  /** A random key half for a new mountpoint (its relay key). */
  randomId(): number;
  /** Asks a relay link to report its loss to the mountpoints, or to stop. */
  watchLink(linkId: string): void;
  unwatchLink(linkId: string): void;
  /** RECORDINGS_ROOT: a recording's absolute filename must lie inside it. */
  readonly recordingsRoot?: string;
  /** The plugin's `admin_key` (create needs it when set). */
  readonly adminKey?: string;
  readonly log: { warn(msg: string, fields?: Record<string, unknown>): void };
}
