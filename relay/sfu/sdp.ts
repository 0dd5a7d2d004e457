import { Codes, RelayError } from '../errors.js';
import { joinSdp, splitSdp } from '../sdp.js';

/**
 * Publisher offers: the room's codec lists are applied before werift sees the SDP (werift throws on
 * an m-line without a common codec and otherwise accepts whatever it knows); `rejectSections`
 * (relay/sdp.ts) writes the rejected ones back into the answer.
 */

export interface OfferSection {
  index: number;
  kind: string;
  mid: string | undefined;
  port: number;
  /** Lower-case codec name chosen for this m-line (audio/video), undefined when none is allowed. */
  codec: string | undefined;
  payloadType: number | undefined;
  /** The chosen payload type's fmtp parameters in the offer (what the answer keeps), if it had any. */
  fmtp: string | undefined;
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

/** The codecs a publisher's m-lines may use, in order of preference, and the video profiles to prefer. */
export interface AllowedCodecs {
  audio: string[];
  video: string[];
  /** Room `h264_profile` / `vp9_profile`: a payload type with it is preferred, else the codec without it. */
  profiles?: { h264?: string; vp9?: string };
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

const PT_ATTR = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]/;

/**
 * Keeps, on every audio/video m-line, only the first codec of `allowed` (in the room's order of
 * preference) that the offer contains; an m-line without one is marked rejected and carries a
 * placeholder codec so werift can still parse the description.
 */
export function filterPublisherOffer(sdp: string, allowed: AllowedCodecs): FilteredOffer {
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
      fmtp: undefined,
      rids,
      rejected: false,
      direction,
    };
    out.push(section);
    if (kind !== 'audio' && kind !== 'video') return;
    if (port === 0 && !sec.lines.includes('a=bundle-only')) {
      section.rejected = true;
      return;
    }
    const prefs = kind === 'audio' ? allowed.audio : allowed.video;
    let chosen: string | undefined;
    for (const name of prefs) {
      const candidates = fmts.filter((f) => names.get(f) === name);
      if (!candidates.length) continue;
      const profile = name === 'h264' || name === 'vp9' ? allowed.profiles?.[name] : undefined;
      // H.264: prefer packetization-mode=1 (what browsers and Janus use)
      chosen =
        (profile !== undefined && candidates.find((f) => hasProfile(name, fmtps.get(f), profile))) ||
        (name === 'h264' && candidates.find((f) => /packetization-mode=1/.test(fmtps.get(f) ?? ''))) ||
        candidates[0];
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
    section.fmtp = fmtps.get(chosen);
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
 * Whether a payload type's fmtp has the room's profile, as Janus matches it (`janus_sdp_get_codec_pt_full`):
 * VP9 `profile-id=<profile>`; H.264 `profile-level-id=<profile>` in lower or upper case, never with
 * packetization-mode=0.
 */
function hasProfile(codec: string, fmtp: string | undefined, profile: string): boolean {
  if (fmtp === undefined) return false;
  if (codec === 'vp9') return fmtp.includes(`profile-id=${profile}`);
  if (fmtp.includes('packetization-mode=0')) return false;
  return [profile.toLowerCase(), profile.toUpperCase()].some((p) => fmtp.includes(`profile-level-id=${p}`));
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
