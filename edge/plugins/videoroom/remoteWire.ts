import type { SfuForwardStream, SfuRemoteStream } from '../../../shared/control/sfu.js';
import type { PubStream } from './state.js';

/** Janus's remote publisher SSRCs: REMOTE_PUBLISHER_BASE_SSRC + mindex * REMOTE_PUBLISHER_SSRC_STEP (+ substream). */
export const REMOTE_BASE_SSRC = 1000;
export const REMOTE_SSRC_STEP = 10;

/** Where a publisher's streams are sent as Janus remote-publisher RTP. */
export interface RemoteTarget {
  host: string;
  port: number;
  rtcpPort?: number;
}

/**
 * The `sfu.forward` streams feeding a remote publisher from `streams` (publish_remotely, a cascade,
 * or the new streams of a renegotiation): SSRC 1000 + mindex*10 (+ layer), the RTCP port only on
 * the first video stream of `all`, data RTP-wrapped. `nack` asks the forwarders to keep a history
 * and answer NACKs (our own cascades; Janus peers never send them).
 */
export function remoteForwardStreams(
  streams: PubStream[],
  to: RemoteTarget,
  all: PubStream[],
  nack = false,
): SfuForwardStream[] {
  const firstVideo = all.find((s) => s.type === 'video' && !s.disabled)?.mid;
  const out: SfuForwardStream[] = [];
  for (const s of streams) {
    if (s.disabled) continue;
    const ssrc = REMOTE_BASE_SSRC + s.mindex * REMOTE_SSRC_STEP;
    const rtcp = s.mid === firstVideo ? to.rtcpPort : undefined;
    const layers = s.type === 'video' && s.simulcast ? 3 : 1;
    for (let l = 0; l < layers; l++) {
      out.push({
        mid: s.mid,
        host: to.host,
        port: to.port,
        ssrc: ssrc + l,
        ...(l === 0 && rtcp ? { rtcp_port: rtcp } : {}),
        ...(layers > 1 ? { substream: l } : {}),
        ...(s.type === 'data' ? { wrap_data: true } : {}),
        ...(nack && s.type === 'video' ? { nack: true } : {}),
      });
    }
  }
  return out;
}

/**
 * The fmtp a relay offers to subscribers of a stream with a known H.264 / VP9 profile, as Janus
 * writes it (janus_sdp_generate_offer): the codec's default parameters would name another profile.
 */
function profileFmtp(s: PubStream): { fmtp?: string } {
  const codec = s.codec?.toLowerCase();
  if (s.disabled) return {};
  if (codec === 'h264' && s.h264_profile) return { fmtp: `profile-level-id=${s.h264_profile};packetization-mode=1` };
  if (codec === 'vp9' && s.vp9_profile) return { fmtp: `profile-id=${s.vp9_profile}` };
  return {};
}

/** A publisher's streams as a remote publisher declares them (`sfu.remoteAdd` / `sfu.remoteUpdate`). */
export function remoteStreamsOf(streams: PubStream[]): SfuRemoteStream[] {
  return streams.map((s) => ({
    mid: s.mid,
    mindex: s.mindex,
    type: s.type,
    ...(s.codec && s.type !== 'data' ? { codec: s.codec } : {}),
    ...profileFmtp(s),
    ...(s.simulcast ? { simulcast: true } : {}),
    ...(s.disabled ? { disabled: true } : {}),
  }));
}

/** SDES keying of a request, when both halves are there. */
export function srtpOf(r: { srtp_suite?: 32 | 80; srtp_crypto?: string }): {
  srtp?: { suite: 32 | 80; crypto: string };
} {
  return r.srtp_suite !== undefined && r.srtp_crypto !== undefined
    ? { srtp: { suite: r.srtp_suite, crypto: r.srtp_crypto } }
    : {};
}
