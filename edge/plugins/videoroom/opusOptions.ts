/** The room's Opus settings (§5.1 `opus_fec`, default true; `opus_dtx`, default false). */
export interface OpusOptions {
  fec: boolean;
  dtx: boolean;
}

export function roomOpusOptions(o: { opus_fec?: boolean; opus_dtx?: boolean }): OpusOptions {
  return { fec: o.opus_fec ?? true, dtx: o.opus_dtx ?? false };
}

/**
 * Sets `useinbandfec` / `usedtx` on every Opus payload type of a publisher's offer as the room
 * wants them. The relay answers with the offer's fmtp (werift keeps the remote codec's parameters),
 * so this is what makes the answer ask the publisher for in-band FEC and DTX, as Janus's does.
 */
export function applyOpusOptions(sdp: string, opus: OpusOptions): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const opusPts = new Set<string>();
  for (const l of lines) {
    const m = /^a=rtpmap:(\d+) opus\//i.exec(l);
    if (m) opusPts.add(m[1]!);
  }
  if (opusPts.size === 0) return sdp;
  const withFmtp = new Set<string>();
  const out: string[] = [];
  for (const l of lines) {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(l);
    if (m && opusPts.has(m[1]!)) {
      withFmtp.add(m[1]!);
      const params = opusParams(m[2]!, opus);
      // Nothing left to say: no fmtp line rather than an empty one.
      if (params) out.push(`a=fmtp:${m[1]!} ${params}`);
    } else out.push(l);
  }
  // An Opus payload type without fmtp gets one right after its rtpmap when something is to be asked.
  const wanted = opusParams('', opus);
  if (!wanted) return out.join(eol);
  const result: string[] = [];
  for (const l of out) {
    result.push(l);
    const m = /^a=rtpmap:(\d+) opus\//i.exec(l);
    if (m && !withFmtp.has(m[1]!)) result.push(`a=fmtp:${m[1]!} ${wanted}`);
  }
  return result.join(eol);
}

function opusParams(params: string, opus: OpusOptions): string {
  const kept = params
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && !/^(useinbandfec|usedtx)=/i.test(p));
  if (opus.fec) kept.push('useinbandfec=1');
  if (opus.dtx) kept.push('usedtx=1');
  return kept.join(';');
}
