import { Codes, RelayError } from '../errors.js';

/**
 * Publisher offers: the room's codec lists are applied before werift sees the SDP (werift throws on
 * an m-line without a common codec and otherwise accepts whatever it knows), and rejected m-lines are
 * written back into the answer the Janus way (port 0, inactive, out of the BUNDLE group).
 */

export interface OfferSection {
  index: number;
  kind: string;
  mid: string | undefined;
  port: number;
  /** Lower-case codec name chosen for this m-line (audio/video), undefined when none is allowed. */
  codec: string | undefined;
  payloadType: number | undefined;
  rids: string[];
  /** audio/video m-line with no allowed codec, or port 0 in the offer. */
  rejected: boolean;
  /** a=sendonly/sendrecv/recvonly/inactive of the offer (default sendrecv). */
  direction: string;
}

export interface FilteredOffer {
  sdp: string;
  sections: OfferSection[];
}

export const DEFAULT_AUDIO_CODECS = ['opus'];
export const DEFAULT_VIDEO_CODECS = ['vp8'];

/** Parses a csv codec list ("vp8,h264") into lower-case names; undefined/empty → `fallback`. */
export function codecList(csv: string | undefined, fallback: string[]): string[] {
  if (!csv) return fallback;
  const list = csv
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
  return list.length ? list : fallback;
}

interface RawSection {
  lines: string[];
}

function splitSdp(sdp: string): { session: string[]; sections: RawSection[] } {
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

function joinSdp(session: string[], sections: RawSection[]): string {
  return [...session, ...sections.flatMap((s) => s.lines)].join('\r\n') + '\r\n';
}

const PT_ATTR = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]/;

/**
 * Keeps, on every audio/video m-line, only the first codec of `allowed` (in the room's order of
 * preference) that the offer contains; an m-line without one is marked rejected and carries a
 * placeholder codec so werift can still parse the description.
 */
export function filterPublisherOffer(sdp: string, allowed: { audio: string[]; video: string[] }): FilteredOffer {
  const { session, sections } = splitSdp(sdp);
  const out: OfferSection[] = [];
  sections.forEach((sec, index) => {
    const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)(?: (.*))?$/.exec(sec.lines[0]!);
    if (!m) throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (malformed m-line)');
    const kind = m[1]!;
    const port = Number(m[2]);
    const proto = m[3]!;
    const fmts = (m[4] ?? '').split(' ').filter(Boolean);
    let mid: string | undefined;
    let direction = 'sendrecv';
    let rids: string[] = [];
    const names = new Map<string, string>();
    const fmtps = new Map<string, string>();
    for (const l of sec.lines) {
      if (l.startsWith('a=mid:')) mid = l.slice(6).trim();
      else if (/^a=(sendonly|recvonly|sendrecv|inactive)$/.test(l)) direction = l.slice(2);
      else if (l.startsWith('a=rtpmap:')) {
        const r = /^a=rtpmap:(\d+) ([^/ ]+)/.exec(l);
        if (r) names.set(r[1]!, r[2]!.toLowerCase());
      } else if (l.startsWith('a=fmtp:')) {
        const r = /^a=fmtp:(\d+) (.*)$/.exec(l);
        if (r) fmtps.set(r[1]!, r[2]!);
      } else if (l.startsWith('a=simulcast:')) {
        const r = /send ([^ ]+)/.exec(l.slice('a=simulcast:'.length));
        if (r)
          rids = r[1]!
            .split(/[;,]/)
            .map((x) => x.replace(/^~/, ''))
            .filter(Boolean);
      }
    }
    // static payload types without rtpmap
    for (const f of fmts)
      if (!names.has(f)) names.set(f, f === '0' ? 'pcmu' : f === '8' ? 'pcma' : f === '9' ? 'g722' : `pt${f}`);
    const section: OfferSection = {
      index,
      kind,
      mid,
      port,
      codec: undefined,
      payloadType: undefined,
      rids,
      rejected: false,
      direction,
    };
    out.push(section);
    if (kind !== 'audio' && kind !== 'video') return;
    if (port === 0) {
      section.rejected = true;
      return;
    }
    const prefs = kind === 'audio' ? allowed.audio : allowed.video;
    let chosen: string | undefined;
    for (const name of prefs) {
      const candidates = fmts.filter((f) => names.get(f) === name);
      if (!candidates.length) continue;
      // H.264: prefer packetization-mode=1 (what browsers and Janus use)
      chosen =
        (name === 'h264' && candidates.find((f) => /packetization-mode=1/.test(fmtps.get(f) ?? ''))) || candidates[0];
      break;
    }
    if (chosen === undefined) {
      section.rejected = true;
      // werift cannot parse an m-line without a codec it knows: give it a placeholder
      const placeholder = kind === 'audio' ? ['0', 'a=rtpmap:0 PCMU/8000'] : ['96', 'a=rtpmap:96 VP8/90000'];
      sec.lines = [
        `m=${kind} ${port} ${proto} ${placeholder[0]}`,
        ...sec.lines
          .slice(1)
          .filter((l) => !PT_ATTR.test(l) && !l.startsWith('a=rid:') && !l.startsWith('a=simulcast:')),
        placeholder[1]!,
      ];
      return;
    }
    section.codec = names.get(chosen);
    section.payloadType = Number(chosen);
    sec.lines = [
      `m=${kind} ${port} ${proto} ${chosen}`,
      ...sec.lines.slice(1).filter((l) => {
        const r = PT_ATTR.exec(l);
        return !r || r[1] === chosen || r[1] === '*';
      }),
    ];
  });
  return { sdp: joinSdp(session, sections), sections: out };
}

/**
 * Rewrites the rejected m-lines of werift's answer: port 0, the offer's first payload type,
 * `a=inactive`, no ICE/DTLS attributes, and their mids out of the BUNDLE group.
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
      'a=inactive',
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

/** Index and mid of every m-line of an SDP, in order. */
export function sectionMids(sdp: string): Array<{ index: number; kind: string; mid: string | undefined }> {
  return splitSdp(sdp).sections.map((sec, index) => ({
    index,
    kind: /^m=(\S+)/.exec(sec.lines[0]!)?.[1] ?? '',
    mid: sec.lines
      .find((l) => l.startsWith('a=mid:'))
      ?.slice(6)
      .trim(),
  }));
}

/**
 * werift offers an inactive m-line on port 0, which means rejected (RFC 3264 §6): a browser takes it
 * out of BUNDLE and, once every m-line is inactive (a subscriber's last feed went away), closes the
 * transport and the PeerConnection with it. Janus offers inactive m-lines on port 9, still bundled.
 */
export function keepInactiveSections(sdp: string): string {
  return sdp.replace(/^m=(audio|video) 0 /gm, 'm=$1 9 ');
}
