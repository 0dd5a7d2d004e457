/** WHIP/WHEP over HTTP for stack tests: the requests a client sends, answered as raw fetch responses. */
import { EchoClient } from '../../relay/support/client.js';
import type { Stack } from '../../support/stack.js';

export interface Created {
  res: Response;
  /** From sending the POST to the 201 with the answer. */
  ms: number;
  location: string;
  etag: string;
  answer: string;
}

/** POSTs an offer to an endpoint path (`/whip/endpoint/<room>`), with a bearer token if given. */
export function postOffer(stack: Stack, path: string, sdp: string, token?: string, type = 'application/sdp') {
  return fetch(stack.baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: sdp,
  });
}

/** A POST that must succeed: its Location (absolute URL), ETag and answer. */
export async function created(posted: Promise<Response>, stack: Stack): Promise<Created> {
  const t0 = performance.now();
  const res = await posted;
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${text}`);
  return {
    res,
    ms,
    location: stack.baseUrl + res.headers.get('location')!,
    etag: res.headers.get('etag')!,
    answer: text,
  };
}

/** A werift client publishing VP8 + Opus through WHIP to `room`: connected, not yet sending. */
export async function whipPublish(stack: Stack, room: number, display: string, token?: string, region?: string) {
  const client = new EchoClient();
  const audio = client.addMedia('audio');
  const video = client.addMedia('video');
  for (const t of client.pc.getTransceivers()) t.setDirection('sendonly');
  const offer = await client.createOffer();
  const path = `/whip/endpoint/${room}?display=${encodeURIComponent(display)}${region ? `&region=${region}` : ''}`;
  const resource = await created(postOffer(stack, path, offer, token), stack);
  await client.acceptAnswer(resource.answer);
  await client.connected(15_000);
  return { client, audio, video, resource };
}

export function del(url: string, token?: string) {
  return fetch(url, { method: 'DELETE', headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** A werift player watching `feed` of `room` through WHEP: it offers recvonly audio and video. */
export function whepPlay(stack: Stack, room: number, feed: number, token?: string, region?: string) {
  return whepPlayAt(stack, `/whep/endpoint/${room}/${feed}${region ? `?region=${region}` : ''}`, token);
}

/** A werift player of any WHEP endpoint path (a publisher, a Streaming mountpoint): recvonly audio and video. */
export async function whepPlayAt(stack: Stack, path: string, token?: string) {
  const client = new EchoClient();
  client.addMedia('audio');
  client.addMedia('video');
  for (const t of client.pc.getTransceivers()) t.setDirection('recvonly');
  const offer = await client.createOffer();
  const resource = await created(postOffer(stack, path, offer, token), stack);
  await client.acceptAnswer(resource.answer);
  await client.connected(15_000);
  return { client, resource };
}

/** PATCHes a WHEP player's answer to the relay's offer (server-offer mode). */
export function patchAnswer(location: string, sdp: string, token?: string) {
  return fetch(location, {
    method: 'PATCH',
    headers: { 'content-type': 'application/sdp', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: sdp,
  });
}

/**
 * A werift player in WHEP's server-offer mode: a POST without an offer (`contentType` undefined: no
 * Content-Type either), the relay's offer in the 201, the player's answer by PATCH; connected.
 */
export async function whepServerOfferPlay(stack: Stack, path: string, contentType?: string) {
  const res = fetch(stack.baseUrl + path, {
    method: 'POST',
    // fetch would type an empty string text/plain: no body at all when no type is given
    ...(contentType ? { headers: { 'content-type': contentType }, body: '' } : {}),
  });
  const resource = await created(res, stack);
  const client = new EchoClient();
  const answer = await client.acceptOffer(resource.answer);
  const patched = await patchAnswer(resource.location, answer);
  if (patched.status !== 204) throw new Error(`PATCH of the answer: ${patched.status} ${await patched.text()}`);
  await client.connected(15_000);
  return { client, resource, offer: resource.answer, answer, patched };
}
