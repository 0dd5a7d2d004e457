import { HttpProblem } from './httpErrors.js';
import { answerFragment, withNewIceCredentials } from './iceRestart.js';
import type { InternalJanusClient } from './janusClient.js';
import { restartRequestsOf } from './restartRequests.js';
import { trickle, type FoundResource } from './resource.js';
import type { SdpFragment } from './sdpFragment.js';

/**
 * A WHEP player's answer to the relay's offer (server-offer mode): the plugin's `start` with it, as a
 * Janus subscriber or Streaming viewer answers. Only while our offer awaits it (409 otherwise).
 * Returns the answer (the client's description, which names the ICE session).
 */
export async function answerServerOffer(client: InternalJanusClient, r: FoundResource, answer: string) {
  if (r.signalingState !== 'have-local-offer') throw new HttpProblem(409, 'No offer of ours awaits an answer');
  if (!answer.trimStart().startsWith('v=0')) throw new HttpProblem(400, 'The body is not an SDP answer');
  await client.message(r.sessionId, r.handleId, { request: 'start' }, { type: 'answer', sdp: answer });
  return answer;
}

/**
 * An ICE restart (`If-Match: *`, RFC 9725 §4.4.1; WHEP adopts it): the client's last description with
 * the fragment's new credentials goes to the plugin again, as a Janus client restarts that plugin's
 * handle (restartRequests.ts). A client that offered (a WHIP publisher, a WHEP player that offered)
 * sends its offer again and gets the relay's new answer; a WHEP player that answered the relay's
 * offer gets the relay's ICE-restart offer, and its last answer with the new credentials answers it.
 * The fragment's candidates follow; the relay's new credentials and candidates come back.
 */
export async function restartIce(
  client: InternalJanusClient,
  r: FoundResource,
  fragment: SdpFragment,
  relocate: () => Promise<FoundResource>,
): Promise<{ clientSdp: string; fragment: string }> {
  if (r.clientSdp === undefined || r.signalingState !== 'stable')
    throw new HttpProblem(422, 'No ICE session to restart');
  const requests = restartRequestsOf(r);
  const clientSdp = withNewIceCredentials(r.clientSdp, fragment);
  const relaySdp = r.clientOffered
    ? await answered(client, r, requests.withClientOffer, clientSdp)
    : await reoffered(client, r, requests.relayOffer, clientSdp, relocate);
  await trickle(client, r, fragment.candidates);
  return { clientSdp, fragment: answerFragment(relaySdp) };
}

/** The client's restart offer through the plugin: the relay's answer. */
async function answered(
  client: InternalJanusClient,
  r: FoundResource,
  request: Record<string, unknown>,
  offer: string,
) {
  const reply = await client.message(r.sessionId, r.handleId, request, { type: 'offer', sdp: offer, restart: true });
  if (reply.jsep?.type !== 'answer') throw new HttpProblem(500, 'The plugin gave no answer');
  return reply.jsep.sdp;
}

/**
 * The relay's ICE-restart offer, answered at once with the client's answer (`start`, as to any offer
 * of ours). A `start` that fails must leave nothing half done: the relay takes back a restart whose
 * answer it refused (`SfuSubscriber.acceptAnswer`), so the previous ICE session goes on; when it did
 * not (the answer never reached it, the relay is gone), the resource ends through the one termination
 * path, as nothing else would bring it back to a state the client knows.
 */
async function reoffered(
  client: InternalJanusClient,
  r: FoundResource,
  request: Record<string, unknown>,
  answer: string,
  relocate: () => Promise<FoundResource>,
) {
  const reply = await client.message(r.sessionId, r.handleId, request);
  if (reply.jsep?.type !== 'offer') throw new HttpProblem(500, 'The plugin gave no offer');
  try {
    await client.message(r.sessionId, r.handleId, { request: 'start' }, { type: 'answer', sdp: answer });
  } catch (err) {
    const now = await relocate().catch(() => undefined);
    const rolledBack = now?.signalingState === 'stable' && now.clientSdp === r.clientSdp;
    if (rolledBack)
      throw new FailedIceRestart(err, 'The ICE restart was rolled back: the previous ICE session goes on');
    await client.destroy(r.sessionId).catch(() => undefined);
    throw new FailedIceRestart(
      err,
      'The ICE restart could not be completed nor rolled back: the resource is terminated',
    );
  }
  return reply.jsep.sdp;
}

/** An ICE restart that failed (`error`: what it met), and what became of the resource (`outcome`). */
export class FailedIceRestart extends Error {
  constructor(
    readonly error: unknown,
    readonly outcome: string,
  ) {
    super(outcome);
  }
}
