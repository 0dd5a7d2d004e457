import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { unwrap, type RpcResult } from '../rpc.js';
import type { Stubs } from '../stubs.js';
import { HttpProblem } from './httpErrors.js';
import type { InternalJanusClient } from './janusClient.js';
import type { FragmentCandidate } from './sdpFragment.js';
import type { MediaTarget } from './targets.js';

export type Protocol = 'whip' | 'whep';

/** Where a resource lives: its session and handle, and the secret its URL carries. */
export interface ResourceId {
  sessionId: number;
  handleId: number;
  secret: string;
}

export interface OpenedResource extends ResourceId {
  /** The SDP for the client: the answer to its offer, or the offer it is to answer (WHEP server-offer mode). */
  sdp: string;
  /** The client's current description (its offer; none yet when it is to answer). */
  clientSdp?: string;
}

/** A resource found by its URL, with its PeerConnection's state as the relay reports it. */
export interface FoundResource extends ResourceId {
  /** The description the client last gave (an offer, or its answer to the relay's offer). */
  clientSdp?: string;
  /** The PeerConnection's signaling state (`have-local-offer`: the relay's offer awaits its answer). */
  signalingState?: string;
  /** The client's description is an offer (else its answer to the relay's offer: WHEP's server-offer mode). */
  clientOffered: boolean;
  /** The handle's plugin and what it tells of the handle (`handle_info`'s `plugin_specific`). */
  plugin?: string;
  pluginSpecific?: Record<string, unknown>;
}

/** The handle's `opaque_id`: the protocol and the resource's secret, so only its URL reaches it. */
const opaqueIdOf = (protocol: Protocol, secret: string) => `${protocol}:${secret}`;

function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/**
 * Opens a WHIP/WHEP resource: a session (kept alive by its PeerConnection), a handle on the target's
 * plugin, and the target's request with the client's offer, whose answer comes back; without an offer
 * (WHEP's server-offer mode) the plugin's offer comes back instead. Any failure destroys the session,
 * so nothing is left behind.
 */
export async function openResource(
  client: InternalJanusClient,
  protocol: Protocol,
  target: MediaTarget,
  offer: string | undefined,
  token: string | undefined,
): Promise<OpenedResource> {
  const sessionId = await client.createSession();
  try {
    const secret = newSecret();
    const handleId = await client.attach(sessionId, target.plugin, opaqueIdOf(protocol, secret));
    const jsep = offer === undefined ? undefined : { type: 'offer', sdp: offer };
    const reply = await client.message(sessionId, handleId, target.request(token), jsep);
    const expected = offer === undefined ? 'offer' : 'answer';
    if (reply.jsep?.type !== expected) throw new HttpProblem(500, `The plugin gave no ${expected}`);
    return { sessionId, handleId, secret, sdp: reply.jsep.sdp, clientSdp: offer };
  } catch (err) {
    await client.destroy(sessionId).catch(() => undefined);
    throw err;
  }
}

/** The resource a URL names, checked against its handle's opaque id: 404 when it is not (or no longer) there. */
export async function findResource(
  stubs: Stubs,
  protocol: Protocol,
  sessionPart: string,
  handlePart: string,
  secret: string,
): Promise<FoundResource> {
  const sessionId = Number(sessionPart);
  const handleId = Number(handlePart);
  const gone = new HttpProblem(404, 'No such resource');
  if (!/^\d{1,16}$/.test(sessionPart) || !/^\d{1,16}$/.test(handlePart) || !/^[\w-]{1,64}$/.test(secret)) throw gone;
  let info: {
    opaque_id?: unknown;
    plugin?: string;
    plugin_specific?: Record<string, unknown>;
    webrtc?: { sdps?: { remote?: string; remoteType?: string }; signalingState?: string } | null;
  };
  try {
    const result: RpcResult<Record<string, unknown>> = await stubs
      .shardOfSession(sessionId)
      .admin({ kind: 'handle_info', sessionId, handleId, pluginOnly: false });
    const r: Record<string, unknown> = unwrap(result);
    info = r.info as typeof info;
  } catch (err) {
    if (
      err instanceof JanusApiError &&
      (err.code === JanusError.SESSION_NOT_FOUND || err.code === JanusError.HANDLE_NOT_FOUND)
    )
      throw gone;
    throw err;
  }
  if (info.opaque_id !== opaqueIdOf(protocol, secret)) throw gone;
  return {
    sessionId,
    handleId,
    secret,
    clientSdp: info.webrtc?.sdps?.remote,
    signalingState: info.webrtc?.signalingState,
    clientOffered: info.webrtc?.sdps?.remoteType !== 'answer',
    plugin: info.plugin,
    pluginSpecific: info.plugin_specific,
  };
}

/** The resource's URL path (the `Location` of RFC 9725 §4.2). */
export function resourcePath(protocol: Protocol, r: ResourceId): string {
  return `/${protocol}/resource/${r.sessionId}/${r.handleId}/${r.secret}`;
}

/** Trickled candidates reach the handle as a Janus `trickle`, checked by the core against the offer's mids. */
export async function trickle(client: InternalJanusClient, r: ResourceId, candidates: FragmentCandidate[]) {
  if (candidates.length > 0) await client.trickle(r.sessionId, r.handleId, candidates);
}
