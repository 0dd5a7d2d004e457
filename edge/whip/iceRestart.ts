import { HttpProblem } from './httpErrors.js';
import type { SdpFragment } from './sdpFragment.js';

/**
 * ICE restarts of a WHIP or WHEP session (RFC 9725 §4.4.1): the client's new credentials come as a
 * trickle-ice-sdpfrag, while the relay restarts ICE on a new negotiation. So the client's description
 * the relay last applied (`peer.info`'s `sdps.remote`: its offer, or its answer to the relay's offer)
 * is given again with the new credentials, and the relay's new description is cut back to a
 * fragment: its new credentials and candidates.
 */

const lines = (sdp: string) => sdp.split(/\r?\n/).filter((l) => l !== '');

/** The first `a=ice-ufrag` of a description (every m-line shares it under BUNDLE). */
export function iceUfragOf(sdp: string): string | undefined {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
}

/**
 * The entity tag of a resource's ICE session (RFC 9725 §4.3.1): it names the client's current ICE
 * credentials, so it changes with each restart and needs no state of its own.
 */
export function iceEtag(clientSdp: string | undefined): string {
  const ufrag = clientSdp === undefined ? undefined : iceUfragOf(clientSdp);
  return ufrag === undefined ? '"ice-none"' : `"ice-${ufrag.replace(/[^\w+/-]/g, '')}"`;
}

/**
 * The client's description to restart with: its last one with the fragment's ufrag and pwd in every
 * place, its old candidates dropped (the fragment's are trickled after) and end-of-candidates left to
 * the trickle. 400 when the fragment brings no new credentials.
 */
export function withNewIceCredentials(lastSdp: string, fragment: SdpFragment): string {
  const { iceUfrag, icePwd } = fragment;
  if (iceUfrag === undefined || icePwd === undefined)
    throw new HttpProblem(400, 'An ICE restart needs a=ice-ufrag and a=ice-pwd');
  // The edge keeps the description it builds well-formed (one token, no line breaks); the relay, which
  // owns ICE, refuses what RFC 8839 forbids (e.g. `_`) and takes its restart offer back: a clear 400 either way.
  if (!/^[\w+/]{4,256}$/.test(iceUfrag) || !/^[\w+/]{22,256}$/.test(icePwd))
    throw new HttpProblem(400, 'Invalid a=ice-ufrag or a=ice-pwd');
  if (iceUfrag === iceUfragOf(lastSdp)) throw new HttpProblem(400, 'An ICE restart needs a new a=ice-ufrag');
  const out: string[] = [];
  for (const line of lines(lastSdp)) {
    if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
    if (line.startsWith('a=ice-ufrag:')) out.push(`a=ice-ufrag:${iceUfrag}`);
    else if (line.startsWith('a=ice-pwd:')) out.push(`a=ice-pwd:${icePwd}`);
    else out.push(line);
  }
  return out.join('\r\n') + '\r\n';
}

/**
 * The 200's body (RFC 9725 §4.4.1): the relay's new ufrag and pwd and its candidates, in the first
 * m-line of its new description (its answer, or its offer to a WHEP player that answers; the bundle's
 * transport), as the RFC's example shows it.
 */
export function answerFragment(relaySdp: string): string {
  const all = lines(relaySdp);
  const firstMedia = all.findIndex((l) => l.startsWith('m='));
  const nextMedia = all.findIndex((l, i) => i > firstMedia && l.startsWith('m='));
  const section = all.slice(firstMedia, nextMedia < 0 ? all.length : nextMedia);
  const pick = (prefix: string) =>
    section.find((l) => l.startsWith(prefix)) ?? all.slice(0, firstMedia).find((l) => l.startsWith(prefix));
  const ufrag = pick('a=ice-ufrag:');
  const pwd = pick('a=ice-pwd:');
  if (firstMedia < 0 || ufrag === undefined || pwd === undefined)
    throw new HttpProblem(500, 'The relay gave no ICE credentials');
  const sessionLevel = all.slice(0, firstMedia);
  const out = [
    ...sessionLevel.filter((l) => /^a=(ice-options:|ice-lite|group:)/.test(l)),
    section[0]!,
    ...section.filter((l) => l.startsWith('a=mid:')),
    ufrag,
    pwd,
    ...section.filter((l) => l.startsWith('a=candidate:')),
    'a=end-of-candidates',
  ];
  return out.join('\r\n') + '\r\n';
}
