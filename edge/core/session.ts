import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import type { JanusMessage } from './replies.js';
import type { CaptureSpec } from '../../shared/control/capture.js';
import type { TrickleCandidate } from '../../shared/control/commands.js';
import type { HandleContext, Plugin } from '../plugins/plugin.js';
import type { RelayRef } from '../relays/relayClient.js';

/**
 * Where a session's events go: an HTTP long-poll queue, or the WebSocket connection that created
 * (or claimed) it. A WebSocket is held by one coordinator shard, not always the session's own.
 */
export type Source = (
  | {
      kind: 'http';
      /**
       * A WHIP/WHEP resource (edge/whip): no client polls it or sends keepalives, so its PeerConnection
       * keeps it alive; once that is gone the session times out through the one termination path.
       */
      resource?: 'whip' | 'whep';
    }
  | { kind: 'ws'; shard: number; connId: string }
) & {
  /** The client's address (`CF-Connecting-IP`), when the transport knows it: per-address limits. */
  address?: string;
};

export interface Handle {
  id: number;
  plugin: Plugin;
  opaqueId?: string;
  token?: string;
  createdAt: number;
  /** True while the handle has a PeerConnection on a relay. */
  hasPeer: boolean;
  /** The relay holding the PeerConnection, and its link object. */
  relay?: RelayRef;
  /** The mids of the last offer or answer the client sent, to check trickled candidates. */
  mids?: string[];
  /** Client candidates that arrived before the PeerConnection existed (bounded). */
  pendingCandidates: TrickleCandidate[];
  /** The plugin was told to hang up and no PeerConnection came since (Janus tells it once). */
  hungUp?: boolean;
  /** The plugin's own small state for this handle (e.g. which room it joined). */
  pluginState?: unknown;
  /** The PeerConnection being placed, so a second offer waits for the first. */
  opening?: Promise<unknown>;
  /** The relay hung the peer up before `peer.create` answered (its event overtook the reply). */
  hungUpWhileOpening?: string;
  /**
   * Hang-ups we sent the relay that it has not answered yet: a `hangup` event meanwhile is about the
   * old PeerConnection, never about one being opened (publish right after unpublish).
   */
  hangupEchoes?: number;
  /** The client's offer was admitted by the per-address limits for the PeerConnection it opens. */
  admitted?: boolean;
  /** Admin start_pcap / start_text2pcap: asked of every PeerConnection the handle gets until stopped. */
  capture?: CaptureSpec;
  ctx: HandleContext;
}

export type { RelayRef } from '../relays/relayClient.js';

/** What a session is apart from its live parts; stored as is. */
interface SessionFields {
  id: number;
  createdAt: number;
  lastActivity: number;
  /** Per-session override of session_timeout (admin set_session_timeout); undefined = global. */
  timeout?: number;
  source: Source;
  /** The client's region (`?region=`, `x-region`, or Cloudflare's location); picks relays. */
  region?: string;
  /** Set when the source WebSocket closed and reclaim_session_timeout keeps the session alive. */
  transportGoneAt?: number;
}

export interface Session extends SessionFields {
  handles: Map<number, Handle>;
  /** Events waiting for an HTTP long poll (bounded; stored under `q:<id>` once they linger). */
  queue: JanusMessage[];
  /** When the queue last went from empty to non-empty (undefined while empty). */
  queuedSince?: number;
  /** The `lastActivity` last written to storage (undefined until the record is first written). */
  persistedActivity?: number;
  pollers: Set<() => void>;
  ending: boolean;
  /**
   * Events a plugin pushed for a message still being answered over the session's own WebSocket, by
   * transaction: they go out after the reply, as Janus sends `ack` before the event it announces.
   */
  held?: Map<string, JanusMessage[]>;
  /**
   * Every event of the session while a request over its own WebSocket is answered whose effects have
   * no transaction (an API `hangup`: the `hangup` event, the plugin's last words): they follow the reply.
   */
  heldAll?: JanusMessage[];
}

/** What survives eviction, in DO storage under `s:<id>`. */
export interface SessionRecord extends SessionFields {
  handles: {
    id: number;
    plugin: string;
    opaqueId?: string;
    token?: string;
    createdAt: number;
    hasPeer: boolean;
    relay?: RelayRef;
    pluginState?: unknown;
    capture?: CaptureSpec;
  }[];
}

/** A stored record as a live session again; handles of a plugin no longer loaded are dropped. */
export function fromRecord(
  rec: SessionRecord,
  plugins: ReadonlyMap<string, Plugin>,
  contextOf: (s: Session, handleId: number, opaqueId: string | undefined, pluginState: unknown) => HandleContext,
): Session {
  const s: Session = {
    ...rec,
    // The stored activity as is: it lags the real one by at most `Timeouts.activitySlack`, so the
    // session expires at most that much early, never with a fresh window (that would never expire
    // a session whose shard is evicted between alarms).
    persistedActivity: rec.lastActivity,
    handles: new Map(),
    queue: [],
    pollers: new Set(),
    ending: false,
  };
  for (const h of rec.handles) {
    const plugin = plugins.get(h.plugin);
    if (!plugin) continue;
    s.handles.set(h.id, { ...h, plugin, pendingCandidates: [], ctx: contextOf(s, h.id, h.opaqueId, h.pluginState) });
  }
  return s;
}

export function toRecord(s: Session): SessionRecord {
  return {
    id: s.id,
    createdAt: s.createdAt,
    lastActivity: s.lastActivity,
    timeout: s.timeout,
    source: s.source,
    region: s.region,
    transportGoneAt: s.transportGoneAt,
    handles: [...s.handles.values()].map((h) => ({
      id: h.id,
      plugin: h.plugin.info.package,
      opaqueId: h.opaqueId,
      token: h.token,
      createdAt: h.createdAt,
      hasPeer: h.hasPeer,
      relay: h.relay,
      pluginState: h.pluginState,
      capture: h.capture,
    })),
  };
}

/** When the session expires (ms since epoch), or Infinity; Janus's watchdog rule (§1.6). */
export function deadlineOf(s: Session, globalTimeout: number, reclaimTimeout: number): number {
  if (keptAliveByMedia(s)) return Infinity;
  const timeout = s.timeout ?? globalTimeout;
  let d = timeout > 0 ? s.lastActivity + timeout * 1000 : Infinity;
  if (s.transportGoneAt !== undefined) d = Math.min(d, s.lastActivity + reclaimTimeout * 1000);
  return d;
}

/** A WHIP/WHEP session lives while one of its handles has a PeerConnection (RFC 9725 has no keepalive). */
function keptAliveByMedia(s: Session): boolean {
  if (s.source.kind !== 'http' || !s.source.resource) return false;
  for (const h of s.handles.values()) if (h.hasPeer) return true;
  return false;
}

export const MAX_QUEUED_EVENTS = 1000;

/** The request came over the WebSocket the session's events go to: its events must follow its reply there. */
export function fromOwnSocket(s: Session, origin: Source): boolean {
  return origin.kind === 'ws' && s.source.kind === 'ws' && s.source.connId === origin.connId;
}

/** The registry's counts, derived from it (the reference server's drifting counters are the bug to avoid). */
export function countsOf(sessions: Iterable<Session>): { sessions: number; handles: number; peerconnections: number } {
  let count = 0;
  let handles = 0;
  let peerconnections = 0;
  for (const s of sessions) {
    count++;
    handles += s.handles.size;
    for (const h of s.handles.values()) if (h.hasPeer) peerconnections++;
  }
  return { sessions: count, handles, peerconnections };
}

/** A live session of the registry, else Janus's 458. */
export function sessionIn(sessions: ReadonlyMap<number, Session>, sessionId: number): Session {
  const s = sessions.get(sessionId);
  if (!s || s.ending) throw new JanusApiError(JanusError.SESSION_NOT_FOUND, `No such session ${sessionId}`);
  return s;
}

/** A handle of the session, else Janus's 459. */
export function handleIn(s: Session, handleId: number): Handle {
  const h = s.handles.get(handleId);
  if (!h) throw new JanusApiError(JanusError.HANDLE_NOT_FOUND, `No such handle ${handleId} in session ${s.id}`);
  return h;
}
