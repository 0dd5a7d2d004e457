import { Codes, RelayError } from './errors.js';

/** What the relay needs to know about one m-section of a remote description. */
export interface MediaSection {
  index: number;
  kind: 'audio' | 'video' | 'application' | string;
  mid: string | undefined;
  port: number;
  /** rids of `a=simulcast:send`, in the order the client listed them. */
  simulcastRids: string[];
}

export interface SdpSummary {
  sections: MediaSection[];
  iceUfrag: boolean;
  fingerprint: boolean;
}

/**
 * A cheap structural check of a remote SDP before werift sees it (werift accepts a lot of garbage
 * silently). Throws 465 "Invalid SDP" for anything that is not a WebRTC description.
 */
export function inspectSdp(sdp: string): SdpSummary {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== 'v=0') throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (no v=0)');
  const sections: MediaSection[] = [];
  let iceUfrag = false;
  let fingerprint = false;
  let current: MediaSection | undefined;
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (malformed line)');
    if (line.startsWith('m=')) {
      const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)( .*)?$/.exec(line);
      if (!m) throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (malformed m-line)');
      current = { index: sections.length, kind: m[1]!, mid: undefined, port: Number(m[2]), simulcastRids: [] };
      sections.push(current);
    } else if (line.startsWith('a=ice-ufrag:')) {
      iceUfrag = true;
    } else if (line.startsWith('a=fingerprint:')) {
      fingerprint = true;
    } else if (current && line.startsWith('a=mid:')) {
      current.mid = line.slice('a=mid:'.length).trim();
    } else if (current && line.startsWith('a=simulcast:')) {
      const m = /send ([^ ]+)/.exec(line.slice('a=simulcast:'.length));
      if (m)
        current.simulcastRids = m[1]!
          .split(/[;,]/)
          .map((r) => r.replace(/^~/, ''))
          .filter(Boolean);
    }
  }
  if (sections.length === 0) throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (no media)');
  if (!iceUfrag) throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (no ICE credentials)');
  if (!fingerprint) throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (no DTLS fingerprint)');
  for (const s of sections) {
    if (s.port !== 0 && !s.mid) throw new RelayError(Codes.INVALID_SDP, `Invalid SDP (m-line ${s.index} has no mid)`);
  }
  return { sections, iceUfrag, fingerprint };
}

/** Removes `a=candidate` / `a=end-of-candidates` lines (the relay trickles them instead). */
export function stripCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
    .join('\r\n');
}
