/** One trickled candidate as the Janus API's `trickle` carries it, or the end of candidates. */
export type FragmentCandidate = { candidate: string; sdpMid: string; sdpMLineIndex: number } | { completed: true };

export interface SdpFragment {
  iceUfrag?: string;
  icePwd?: string;
  candidates: FragmentCandidate[];
}

/**
 * Parses an `application/trickle-ice-sdpfrag` body (RFC 8840 §9, as RFC 9725 §4.3.1 uses it): the ICE
 * credentials, then per `m=` section its `a=mid` and `a=candidate` lines, and `a=end-of-candidates`.
 * Undefined when the body is not such a fragment (a candidate outside any media section, no mid).
 */
export function parseSdpFragment(text: string): SdpFragment | undefined {
  const out: SdpFragment = { candidates: [] };
  let mid: string | undefined;
  let index = -1;
  let ended = false;
  let sawMedia = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('m=')) {
      sawMedia = true;
      index++;
      mid = undefined;
    } else if (line.startsWith('a=ice-ufrag:')) out.iceUfrag = line.slice('a=ice-ufrag:'.length);
    else if (line.startsWith('a=ice-pwd:')) out.icePwd = line.slice('a=ice-pwd:'.length);
    else if (line.startsWith('a=mid:')) mid = line.slice('a=mid:'.length);
    else if (line.startsWith('a=candidate:')) {
      if (mid === undefined) return undefined;
      out.candidates.push({ candidate: line.slice(2), sdpMid: mid, sdpMLineIndex: index });
    } else if (line === 'a=end-of-candidates') ended = true;
    else if (!/^[a-z]=/.test(line)) return undefined;
  }
  if (!sawMedia && out.candidates.length === 0 && !ended && out.iceUfrag === undefined) return undefined;
  if (ended) out.candidates.push({ completed: true });
  return out;
}
