import type { SfuPublisherStream } from '../../../shared/control/sfu.js';
import type { OpusOptions } from './opusOptions.js';

/**
 * What Janus 1.1.2 says of a publisher stream's format beside its codec (`publishers[].streams`,
 * janus_videoroom_notify_about_publisher): Opus `stereo`/`fec`/`dtx`, the H.264 or VP9 profile.
 */
export interface StreamFormat {
  stereo?: boolean;
  fec?: boolean;
  dtx?: boolean;
  h264_profile?: string;
  vp9_profile?: string;
}

/** A room's `h264_profile` / `vp9_profile`, kept only when its codec is in the room's list (as Janus). */
export interface VideoProfiles {
  h264?: string;
  vp9?: string;
}

export function roomVideoProfiles(o: {
  videocodec: string;
  h264_profile?: string;
  vp9_profile?: string;
}): VideoProfiles {
  const codecs = o.videocodec.split(',').map((c) => c.trim().toLowerCase());
  return {
    ...(o.h264_profile && codecs.includes('h264') ? { h264: o.h264_profile } : {}),
    ...(o.vp9_profile && codecs.includes('vp9') ? { vp9: o.vp9_profile } : {}),
  };
}

/** janus_sdp_get_video_profile: the value of `profile-level-id=` (H.264) or `profile-id=` (VP9) in an fmtp. */
export function videoProfileOf(codec: string | undefined, fmtp: string | undefined): string | undefined {
  const needle = codec === 'h264' ? 'profile-level-id=' : codec === 'vp9' ? 'profile-id=' : undefined;
  if (!needle || fmtp === undefined) return undefined;
  const part = fmtp.split(';').find((p) => p.includes(needle));
  const value = part?.slice(part.indexOf(needle) + needle.length);
  return value ? value : undefined;
}

/**
 * The Opus flags of each m-line (by index) of the publisher's own offer, read as Janus reads them:
 * only in rooms with `opus_fec`, from any fmtp line of the m-line, by substring (`useinbandfec=1`,
 * `usedtx=1`, `stereo=1`).
 */
function opusFlags(offerSdp: string, opus: OpusOptions): Map<number, StreamFormat> {
  const flags = new Map<number, StreamFormat>();
  if (!opus.fec) return flags;
  offerSdp
    .split(/\r?\nm=/)
    .slice(1)
    .forEach((section, index) => {
      if (!section.startsWith('audio ')) return;
      const fmtps = section.split(/\r?\n/).filter((l) => l.startsWith('a=fmtp:'));
      const f: StreamFormat = {};
      if (fmtps.some((l) => l.includes('stereo=1'))) f.stereo = true;
      if (fmtps.some((l) => l.includes('useinbandfec=1'))) f.fec = true;
      if (fmtps.some((l) => l.includes('usedtx=1'))) f.dtx = true;
      flags.set(index, f);
    });
  return flags;
}

/**
 * The relay's description of a local publisher's streams with Janus's format keys: the room's profile
 * when the relay took the payload type that has it, else the profile of the payload type it took.
 */
export function withStreamFormats<S extends SfuPublisherStream>(
  streams: readonly S[],
  offerSdp: string,
  room: { opus: OpusOptions; profiles: VideoProfiles },
): Array<S & StreamFormat> {
  const opus = opusFlags(offerSdp, room.opus);
  return streams.map(({ fmtp, ...s }) => {
    const out = { ...s } as S & StreamFormat;
    if (s.disabled || !s.codec) return out;
    if (s.codec === 'opus') Object.assign(out, opus.get(s.mindex));
    if (s.codec === 'h264' || s.codec === 'vp9') {
      const own = videoProfileOf(s.codec, fmtp);
      const wanted = s.codec === 'h264' ? room.profiles.h264 : room.profiles.vp9;
      const profile = wanted !== undefined && own?.toLowerCase() === wanted.toLowerCase() ? wanted : own;
      if (profile !== undefined) out[s.codec === 'h264' ? 'h264_profile' : 'vp9_profile'] = profile;
    }
    return out;
  });
}

const FORMAT_KEYS = ['stereo', 'fec', 'dtx', 'h264_profile', 'vp9_profile'] as const;

/** A stream without its format keys. */
export function withoutFormat<S extends StreamFormat>(s: S): Omit<S, keyof StreamFormat> {
  const { stereo: _s, fec: _f, dtx: _d, h264_profile: _h, vp9_profile: _v, ...rest } = s;
  return rest;
}

/** The format keys a stream already has (a remote stream an update leaves as it was). */
export function formatOf(s: StreamFormat | undefined): StreamFormat {
  const out: StreamFormat = {};
  for (const key of FORMAT_KEYS) if (s?.[key] !== undefined) Object.assign(out, { [key]: s[key] });
  return out;
}

/**
 * A remote publisher's stream as `add_remote_publisher` / `update_remote_publisher` declare it
 * (janus_videoroom.c): Opus flags as given, the H.264 / VP9 profile as given, else the room's.
 */
export function remoteStreamFormat(
  s: { type?: string; codec?: string; disabled?: boolean } & StreamFormat,
  profiles: VideoProfiles,
): StreamFormat {
  const codec = s.codec?.toLowerCase();
  if (s.disabled || !codec) return {};
  if (codec === 'opus')
    return { ...(s.stereo ? { stereo: true } : {}), ...(s.fec ? { fec: true } : {}), ...(s.dtx ? { dtx: true } : {}) };
  const profile =
    codec === 'h264'
      ? (s.h264_profile ?? profiles.h264)
      : codec === 'vp9'
        ? (s.vp9_profile ?? profiles.vp9)
        : undefined;
  if (profile === undefined) return {};
  return codec === 'h264' ? { h264_profile: profile } : { vp9_profile: profile };
}
