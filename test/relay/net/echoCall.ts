import { expect } from 'vitest';
import type { EchoClient } from '../support/client.js';
import { waitFor } from '../support/client.js';
import type { RelayLink } from '../support/edge.js';

export const SESSION = 4800;

/** The host candidates of an SDP: address, port, transport (and tcptype), in order. */
export function candidatesOf(
  sdp: string,
): Array<{ address: string; port: number; transport: string; tcptype?: string }> {
  const out = [];
  for (const m of sdp.matchAll(/^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ host(?: tcptype (\S+))?/gm))
    out.push({
      transport: m[1]!.toLowerCase(),
      address: m[2]!,
      port: Number(m[3]),
      ...(m[4] ? { tcptype: m[4] } : {}),
    });
  return out;
}

/** Sends the client's offer as an EchoTest `peer.create`; `edit` may rewrite the offer and the answer (what a network lets through). */
export async function createEcho(
  link: RelayLink,
  client: EchoClient,
  handleId: number,
  edit: { offer?: (sdp: string) => string; answer?: (sdp: string) => string } = {},
): Promise<string> {
  const offer = await client.createOffer();
  const res = await link.call({
    op: 'peer.create',
    sessionId: SESSION,
    handleId,
    plugin: 'janus.plugin.echotest',
    offer: { sdp: edit.offer ? edit.offer(offer) : offer },
  });
  if (!('answer' in res)) throw new Error('expected an answer');
  await client.acceptAnswer(edit.answer ? edit.answer(res.answer.sdp) : res.answer.sdp);
  return res.answer.sdp;
}

/** Connects, sends audio, and checks that what comes back is what was sent. */
export async function expectEcho(link: RelayLink, client: EchoClient, handleId: number, key: string): Promise<void> {
  await client.connected();
  await link.waitEvent(SESSION, handleId, 'webrtcup');
  client.startSending(key, 20);
  await waitFor(() => client.echoedTags.audio.size >= 10, 10_000, 'echoed audio');
  for (const tag of client.echoedTags.audio) expect(client.sentTags.audio.has(tag)).toBe(true);
  client.stopSending(key);
}

/** Removes the candidate lines `drop` matches (a network that blocks them). */
export function withoutCandidates(sdp: string, drop: RegExp): string {
  return sdp
    .split('\r\n')
    .filter((l) => !(l.startsWith('a=candidate:') && drop.test(l)))
    .join('\r\n');
}
