import { Codes, RelayError } from './errors.js';

/** What the relay needs to know about one m-section of a remote description. */
export interface MediaSection {
  index: number;
  kind: 'audio' | 'video' | 'application' | string;
  mid: string | undefined;
  port: number;
  /** `a=bundle-only`: port 0 then means "on the BUNDLE transport", not rejected (RFC 8843 §6). */
  bundleOnly: boolean;
  /** rids of `a=simulcast:send`, in the order the client listed them. */
  simulcastRids: string[];
}

/** The client rejected (or stopped) this m-line: port 0 without `a=bundle-only` (RFC 3264 §6, 8843 §6). */
export function isRejected(s: MediaSection): boolean {
  return s.port === 0 && !s.bundleOnly;
}

/** The mids of an offer's rejected m-lines (each is answered rejected, see {@link rejectSections}). */
export function rejectedMids(summary: SdpSummary): Set<string> {
  const mids = new Set<string>();
  for (const s of summary.sections) if (isRejected(s) && s.mid !== undefined) mids.add(s.mid);
  return mids;
}

export interface SdpSummary {
  sections: MediaSection[];
  iceUfrag: boolean;
  fingerprint: boolean;
}

/**
 * ICE credentials as RFC 8839 §5.4 spells them (ice-char: ALPHA / DIGIT / "+" / "/"); werift takes
 * anything and would put it in every STUN USERNAME, so the relay refuses others.
 */
const ICE_UFRAG = /^[A-Za-z0-9+/]{4,256}$/;
const ICE_PWD = /^[A-Za-z0-9+/]{22,256}$/;

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
      current = {
        index: sections.length,
        kind: m[1]!,
        mid: undefined,
        port: Number(m[2]),
        bundleOnly: false,
        simulcastRids: [],
      };
      sections.push(current);
    } else if (line.startsWith('a=ice-ufrag:')) {
      if (!ICE_UFRAG.test(line.slice('a=ice-ufrag:'.length)))
        throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (a=ice-ufrag is not 4 to 256 ice-chars)');
      iceUfrag = true;
    } else if (line.startsWith('a=ice-pwd:')) {
      if (!ICE_PWD.test(line.slice('a=ice-pwd:'.length)))
        throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (a=ice-pwd is not 22 to 256 ice-chars)');
    } else if (line.startsWith('a=fingerprint:')) {
      fingerprint = true;
    } else if (current && line.startsWith('a=mid:')) {
      current.mid = line.slice('a=mid:'.length).trim();
    } else if (current && line === 'a=bundle-only') {
      current.bundleOnly = true;
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
    if (!isRejected(s) && !s.mid) throw new RelayError(Codes.INVALID_SDP, `Invalid SDP (m-line ${s.index} has no mid)`);
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

/**
 * Under BUNDLE one ICE transport serves every bundled m-line, with the credentials of the bundle-tag
 * m-line — the first mid of `a=group:BUNDLE` (RFC 8843 §7). Browsers repeat one ufrag on every m-line;
 * other stacks (aiortc) give each its own, and werift would take the last one's. This writes the tag's
 * credentials on every bundled m-line, so the relay checks with the ones the client's agent uses.
 */
export function bundleIceCredentials(sdp: string): string {
  const lines = sdp.split('\r\n');
  const bundle = lines.find((l) => l.startsWith('a=group:BUNDLE '));
  const tag = bundle?.slice('a=group:BUNDLE '.length).trim().split(/\s+/)[0];
  if (!bundle || !tag) return sdp;
  const mids = new Set(bundle.slice('a=group:BUNDLE '.length).trim().split(/\s+/));
  // m-sections as [start, end) line ranges, with their mid.
  const sections: { start: number; end: number; mid?: string }[] = [];
  lines.forEach((l, i) => {
    if (l.startsWith('m=')) {
      const last = sections.at(-1);
      if (last) last.end = i;
      sections.push({ start: i, end: lines.length });
    } else if (l.startsWith('a=mid:') && sections.length > 0) {
      sections[sections.length - 1]!.mid = l.slice('a=mid:'.length).trim();
    }
  });
  const tagged = sections.find((x) => x.mid === tag);
  if (!tagged) return sdp;
  const inTag = lines.slice(tagged.start, tagged.end);
  const ufrag = inTag.find((l) => l.startsWith('a=ice-ufrag:'));
  const pwd = inTag.find((l) => l.startsWith('a=ice-pwd:'));
  if (!ufrag || !pwd) return sdp;
  let changed = false;
  for (const x of sections) {
    if (x === tagged || x.mid === undefined || !mids.has(x.mid)) continue;
    for (let i = x.start; i < x.end; i++) {
      const want = lines[i]!.startsWith('a=ice-ufrag:') ? ufrag : lines[i]!.startsWith('a=ice-pwd:') ? pwd : undefined;
      if (want !== undefined && lines[i] !== want) {
        lines[i] = want;
        changed = true;
      }
    }
  }
  return changed ? lines.join('\r\n') : sdp;
}

export interface RawSection {
  lines: string[];
}

export function splitSdp(sdp: string): { session: string[]; sections: RawSection[] } {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  const session: string[] = [];
  const sections: RawSection[] = [];
  for (const l of lines) {
    if (l.startsWith('m=')) sections.push({ lines: [l] });
    else if (sections.length) sections[sections.length - 1]!.lines.push(l);
    else session.push(l);
  }
  return { session, sections };
}

export function joinSdp(session: string[], sections: RawSection[]): string {
  return [...session, ...sections.flatMap((s) => s.lines)].join('\r\n') + '\r\n';
}

/**
 * Rewrites the rejected m-lines of werift's answer the Janus way: port 0, the offer's first payload
 * type, `a=inactive` (audio/video), no ICE/DTLS attributes, and their mids out of the BUNDLE group.
 */
export function rejectSections(answer: string, offer: string, rejected: ReadonlySet<string>): string {
  if (rejected.size === 0) return answer;
  const offerFmts = new Map<string, { pt: string; rtpmap: string | undefined }>();
  for (const sec of splitSdp(offer).sections) {
    const mid = sec.lines
      .find((l) => l.startsWith('a=mid:'))
      ?.slice(6)
      .trim();
    const m = /^m=\S+ \d+(?:\/\d+)? \S+ (\S+)/.exec(sec.lines[0]!);
    if (mid !== undefined && m)
      offerFmts.set(mid, { pt: m[1]!, rtpmap: sec.lines.find((l) => l.startsWith(`a=rtpmap:${m[1]} `)) });
  }
  const { session, sections } = splitSdp(answer);
  for (const sec of sections) {
    const mid = sec.lines
      .find((l) => l.startsWith('a=mid:'))
      ?.slice(6)
      .trim();
    if (mid === undefined || !rejected.has(mid)) continue;
    const m = /^m=(\S+) \d+(?:\/\d+)? (\S+)/.exec(sec.lines[0]!)!;
    const f = offerFmts.get(mid);
    sec.lines = [
      `m=${m[1]} 0 ${m[2]} ${f?.pt ?? '0'}`,
      'c=IN IP4 0.0.0.0',
      `a=mid:${mid}`,
      ...(m[1] === 'audio' || m[1] === 'video' ? ['a=inactive'] : []),
      ...(f?.rtpmap ? [f.rtpmap] : []),
    ];
  }
  const fixed = session.map((l) => {
    if (!l.startsWith('a=group:BUNDLE')) return l;
    const mids = l
      .slice('a=group:BUNDLE'.length)
      .trim()
      .split(/\s+/)
      .filter((x) => x && !rejected.has(x));
    return `a=group:BUNDLE ${mids.join(' ')}`;
  });
  return joinSdp(fixed, sections);
}

/**
 * Makes werift's subscriber offer say what Janus 1.1.2 says: `a=setup:actpass` on every m-line
 * (werift writes its current DTLS role, `passive` once connected; an offer must leave the answerer
 * its choice, RFC 8842 §5.2), and an m-line with no stream behind it `a=inactive` on port 9 rather
 * than port 0. werift marks inactive m-lines rejected (port 0) yet keeps them in BUNDLE; once every
 * m-line was inactive Chromium answered an empty BUNDLE group and closed the transport. Janus keeps
 * such m-lines on the bundle, so the PeerConnection survives and a later `subscribe` reuses them.
 */
export function janusSubscriberOffer(offer: string): string {
  const { session, sections } = splitSdp(offer);
  for (const sec of sections) {
    const m = /^m=(audio|video) 0 (.*)$/.exec(sec.lines[0]!);
    if (m && sec.lines.includes('a=inactive')) sec.lines[0] = `m=${m[1]} 9 ${m[2]}`;
    sec.lines = sec.lines.map((l) => (l.startsWith('a=setup:') ? 'a=setup:actpass' : l));
  }
  return joinSdp(
    session.map((l) => (l.startsWith('a=setup:') ? 'a=setup:actpass' : l)),
    sections,
  );
}
