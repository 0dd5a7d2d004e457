import type { PeerEvent } from '../../shared/control/events.js';
import type { RpcResult } from '../rpc.js';
import type { PluginCallOutcome, PluginCallTo } from './pluginCallBatch.js';
import type { JanusMessage } from './replies.js';
import type { SharedSettings } from './settings.js';
import type { Source } from './session.js';

export interface Counts {
  sessions: number;
  handles: number;
  peerconnections: number;
}

export interface PollResult {
  status: 200 | 403 | 404;
  body?: JanusMessage | JanusMessage[];
}

/**
 * What one session shard answers over RPC (`SessionShard` implements it). Declared apart from the
 * Durable Object so `Env` and the stubs type the namespace without importing the class.
 */
export interface SessionShardApi extends Rpc.DurableObjectBranded {
  /** One Janus API request for this shard (a `create`, or a verb on one of its sessions). */
  janus(raw: Record<string, unknown>, origin: Source, shard: number, region?: string): Promise<JanusMessage>;
  /** An HTTP long poll for a session's events. */
  poll(sessionId: number, maxev: number, apisecret?: string, token?: string): Promise<PollResult>;
  /** From a plugin's coordination object (a VideoRoom) to one of our handles: false when there is no such handle. */
  pluginCall(sessionId: number, handleId: number, call: unknown): Promise<boolean>;
  /** Several such calls in one RPC, started in order; an outcome each ({@link PluginCallBatcher}). */
  pluginCalls(calls: PluginCallTo[]): Promise<PluginCallOutcome[]>;
  /** From a RelayLink: an event about one PeerConnection on that relay. */
  relayEvent(sessionId: number, handleId: number, linkId: string, event: PeerEvent): Promise<void>;
  /** From another shard: deliver an event to a WebSocket held here. */
  pushToConnection(connId: string, m: JanusMessage): Promise<boolean>;
  /** A session of another shard is no longer sourced by our connection. */
  forgetRemote(connId: string, sessionId: number): Promise<void>;
  /** The connection (held by `shard`) that sourced a session closed. */
  transportGone(sessionId: number, connId: string, shard: number): Promise<void>;
  /** Which of these connections a WebSocket held here still carries (a restarted shard asks). */
  connectionsAlive(connIds: string[]): Promise<string[]>;
  applySettings(settings: SharedSettings): Promise<void>;
  listSessions(): Promise<number[]>;
  counts(): Promise<Counts>;
  /** The PeerConnections this shard's sessions of a client address hold (per-address limits). */
  peersOf(address: string): Promise<number>;
  /** Admin requests on one session or handle; Janus error codes survive the RPC boundary. */
  admin(op: AdminOp): Promise<RpcResult<Record<string, unknown>>>;
}

/** The calls one shard makes to another. */
export type ShardPeer = Pick<
  SessionShardApi,
  'janus' | 'pushToConnection' | 'forgetRemote' | 'transportGone' | 'connectionsAlive'
>;

/** An admin request on one session or handle, as the admin API sends it to the owning shard. */
export type AdminOp =
  | { kind: 'destroy_session'; sessionId: number }
  | { kind: 'set_session_timeout'; sessionId: number; timeout: number }
  | { kind: 'list_handles'; sessionId: number }
  | { kind: 'handle_info'; sessionId: number; handleId: number; pluginOnly: boolean }
  | { kind: 'detach_handle'; sessionId: number; handleId: number }
  | { kind: 'hangup_webrtc'; sessionId: number; handleId: number }
  | ({ kind: 'capture'; sessionId: number; handleId: number } & CaptureRequest);

/** start_pcap / start_text2pcap (`capture`) and their stops, as the relay's `peer.capture` takes them. */
export interface CaptureRequest {
  capture: boolean;
  text: boolean;
  folder?: string | undefined;
  filename?: string | undefined;
  truncate?: number | undefined;
}
