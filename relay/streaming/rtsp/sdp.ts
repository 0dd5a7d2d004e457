/** One audio or video track of an RTSP server's SDP (DESCRIBE's answer). */
export interface RtspTrack {
  type: 'audio' | 'video';
  pt: number;
  /** The encoding name, lower case (`vp8`, `opus`, `h264`). */
  codec: string;
  /** As the SDP says it (`VP8/90000`). */
  rtpmap: string;
  fmtp?: string;
  /** The absolute URL SETUP names. */
  control: string;
}

/** Resolves an `a=control` against the base URL (RFC 2326 C.1.1: `*` or none is the base itself). */
function resolveControl(control: string | undefined, base: string): string {
  if (!control || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}

/**
 * The audio and video tracks of a DESCRIBE's SDP, each with its first payload type's rtpmap and
 * fmtp, and the aggregate URL PLAY and TEARDOWN name. Static payload types without an rtpmap (0 PCMU, 8 PCMA, 9 G722) get their well-known names.
 */
export function parseRtspSdp(sdp: string, base: string): { aggregate: string; tracks: RtspTrack[] } {
  const staticNames: Record<number, string> = { 0: 'PCMU/8000', 8: 'PCMA/8000', 9: 'G722/8000' };
  const sections = sdp.split(/\r?\n(?=m=)/);
  let sessionControl: string | undefined;
  const tracks: RtspTrack[] = [];
  for (const [i, section] of sections.entries()) {
    const lines = section.split(/\r?\n/);
    const control = lines
      .find((l) => l.startsWith('a=control:'))
      ?.slice('a=control:'.length)
      .trim();
    if (i === 0 && !section.startsWith('m=')) {
      sessionControl = control;
      continue;
    }
    const m = /^m=(audio|video) \d+ [A-Z/]+ (\d+)/.exec(lines[0]!);
    if (!m) continue;
    const pt = Number(m[2]);
    const rtpmap =
      lines
        .find((l) => l.startsWith(`a=rtpmap:${pt} `))
        ?.slice(`a=rtpmap:${pt} `.length)
        .trim() ?? staticNames[pt];
    if (!rtpmap) continue;
    const fmtp = lines
      .find((l) => l.startsWith(`a=fmtp:${pt} `))
      ?.slice(`a=fmtp:${pt} `.length)
      .trim();
    const sessionBase = resolveControl(sessionControl, base);
    tracks.push({
      type: m[1] as 'audio' | 'video',
      pt,
      codec: rtpmap.split('/')[0]!.toLowerCase(),
      rtpmap,
      ...(fmtp ? { fmtp } : {}),
      control: resolveControl(control, sessionBase),
    });
  }
  return { aggregate: resolveControl(sessionControl, base), tracks };
}
