/** The client half of a WHIP ICE restart (RFC 9725 §4.4.1), as a browser WHIP client does it, on werift. */
import { expect } from 'vitest';
import { disableDefaultStun, hardenDtls } from '../../../relay/peer/werift.js';
import type { EchoClient } from '../../relay/support/client.js';

const TRICKLE = 'application/trickle-ice-sdpfrag';

/** The fragment a client PATCHes: its new credentials, then its first m-line's mid and candidates. */
export function restartFragment(localSdp: string): string {
  const lines = localSdp.split(/\r?\n/);
  const first = lines.findIndex((l) => l.startsWith('m='));
  const next = lines.findIndex((l, i) => i > first && l.startsWith('m='));
  const section = lines.slice(first, next < 0 ? undefined : next);
  const pick = (p: string) => lines.find((l) => l.startsWith(p))!;
  return [
    pick('a=ice-ufrag:'),
    pick('a=ice-pwd:'),
    section[0],
    section.find((l) => l.startsWith('a=mid:')),
    ...section.filter((l) => l.startsWith('a=candidate:')),
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

/** The server's last description (an answer, or its offer) with the credentials and candidates of its restart fragment. */
export function patchedAnswer(answer: string, fragment: string): string {
  const f = fragment.split(/\r?\n/);
  const ufrag = f.find((l) => l.startsWith('a=ice-ufrag:'))!;
  const pwd = f.find((l) => l.startsWith('a=ice-pwd:'))!;
  const candidates = f.filter((l) => l.startsWith('a=candidate:'));
  const out: string[] = [];
  for (const l of answer.split(/\r?\n/)) {
    if (l.startsWith('a=candidate:') || l === 'a=end-of-candidates') continue;
    if (l.startsWith('a=ice-ufrag:')) out.push(ufrag);
    else if (l.startsWith('a=ice-pwd:')) {
      out.push(pwd, ...candidates);
    } else if (l !== '') out.push(l);
  }
  return out.join('\r\n') + '\r\n';
}

/**
 * Restarts ICE (werift's `restartIce()`): the new offer's credentials and candidates PATCHed with
 * `If-Match: *`, the answer fragment applied to the last answer. Returns the PATCH's response and body.
 */
export async function restartIce(client: EchoClient, location: string, lastAnswer: string) {
  client.pc.restartIce();
  const offer = await client.pc.createOffer();
  disableDefaultStun(client.pc);
  await client.pc.setLocalDescription(offer);
  const res = await fetch(location, {
    method: 'PATCH',
    headers: { 'content-type': TRICKLE, 'if-match': '*' },
    body: restartFragment(client.pc.localDescription!.sdp),
  });
  const body = await res.text();
  if (res.status !== 200) return { res, body, answer: lastAnswer };
  const answer = patchedAnswer(lastAnswer, body);
  await client.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  hardenDtls(client.pc);
  // werift runs a restart's connectivity checks only when asked; a browser runs them by itself
  for (const dtls of client.pc.dtlsTransports) dtls.iceTransport.start().catch(() => undefined);
  return { res, body, answer };
}

/**
 * An ICE restart of a player that answered the relay's offer (WHEP server-offer mode): new local
 * credentials first (werift's ICE transport restarts), PATCHed with `If-Match: *`; the relay's new
 * offer is its last one with the fragment's credentials and candidates, which the player answers with
 * those same credentials. Returns the PATCH's response and body, and the player's new answer.
 */
export async function restartIceAsAnswerer(client: EchoClient, location: string, lastOffer: string) {
  const ice = client.pc.dtlsTransports[0]!.iceTransport;
  ice.restart();
  const { localUsername, localPassword } = ice.connection;
  const local = client.pc.localDescription!.sdp.split(/\r?\n/);
  const first = local.findIndex((l) => l.startsWith('m='));
  const body = [
    `a=ice-ufrag:${localUsername}`,
    `a=ice-pwd:${localPassword}`,
    local[first],
    local.find((l, i) => i > first && l.startsWith('a=mid:')),
    '',
  ].join('\r\n');
  const res = await fetch(location, { method: 'PATCH', headers: { 'content-type': TRICKLE, 'if-match': '*' }, body });
  const text = await res.text();
  if (res.status !== 200) return { res, body: text, answer: undefined };
  await client.pc.setRemoteDescription({ type: 'offer', sdp: patchedAnswer(lastOffer, text) });
  const answer = await client.pc.createAnswer();
  disableDefaultStun(client.pc);
  await client.pc.setLocalDescription(answer);
  hardenDtls(client.pc);
  for (const dtls of client.pc.dtlsTransports) dtls.iceTransport.start().catch(() => undefined);
  return { res, body: text, answer: client.pc.localDescription!.sdp };
}

/** A PATCH of a WHIP/WHEP session with a trickle fragment (`If-Match` when given). */
export function patchSession(location: string, body: string, ifMatch?: string): Promise<Response> {
  return fetch(location, {
    method: 'PATCH',
    headers: { 'content-type': TRICKLE, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
    body,
  });
}

/** Restarts the server refuses (400), changing nothing: no credentials, or the client's current ones again. */
export async function expectRefusedRestarts(location: string, localSdp: string, etag: string): Promise<void> {
  expect((await patchSession(location, 'm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n', '*')).status).toBe(400);
  expect((await patchSession(location, restartFragment(localSdp), '*')).status).toBe(400);
  const still = await patchSession(location, 'a=end-of-candidates\r\n', etag);
  expect(still.status).toBe(204);
  expect(still.headers.get('etag')).toBe(etag);
}

/**
 * A restart the server took: 200 with a trickle fragment carrying its new credentials and candidates,
 * and a new ETag; the old ETag names an ICE session that is gone (412). Returns the new ETag and ufrag.
 */
export async function expectRestartAccepted(
  restarted: { res: Response; body: string },
  location: string,
  oldEtag: string,
  oldServerSdp: string,
): Promise<{ etag: string; ufrag: string }> {
  expect(restarted.res.status, restarted.body).toBe(200);
  expect(restarted.res.headers.get('content-type')).toMatch(/^application\/trickle-ice-sdpfrag/);
  const etag = restarted.res.headers.get('etag')!;
  expect(etag).toMatch(/^".+"$/);
  expect(etag).not.toBe(oldEtag);
  const ufrag = /a=ice-ufrag:(\S+)/.exec(restarted.body)![1]!;
  expect(ufrag).not.toBe(/a=ice-ufrag:(\S+)/.exec(oldServerSdp)![1]);
  expect(restarted.body).toMatch(/a=ice-pwd:\S+/);
  expect(restarted.body).toMatch(/a=candidate:/);
  expect((await patchSession(location, 'a=end-of-candidates\r\n', oldEtag)).status).toBe(412);
  return { etag, ufrag };
}
