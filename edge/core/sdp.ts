/**
 * The little SDP reading the edge does itself: enough to reject what is not an SDP (465) and to know
 * the mids a trickled candidate may name (466). The relay parses SDP fully.
 */
export function midsOf(sdp: string): string[] | undefined {
  if (!sdp.startsWith('v=0')) return undefined;
  const lines = sdp.split(/\r?\n/);
  const mids: string[] = [];
  let mlines = 0;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (!/^m=\S+ \d+(\/\d+)? \S+/.test(line)) return undefined;
      mlines++;
      mids.push(String(mlines - 1));
    } else if (line.startsWith('a=mid:') && mlines > 0) {
      mids[mlines - 1] = line.slice(6).trim();
    }
  }
  return mlines > 0 ? mids : undefined;
}

/** The mids of an answer's m-lines that it takes (a port, not inactive): Janus marks those streams ready. */
export function answeredMids(sdp: string): string[] {
  const mids: string[] = [];
  sdp
    .split(/\r?\nm=/)
    .slice(1)
    .forEach((section, index) => {
      const lines = section.split(/\r?\n/);
      if (/^\S+ 0[ /]/.test(lines[0]!) || lines.includes('a=inactive')) return;
      const mid = lines.find((l) => l.startsWith('a=mid:'));
      mids.push(mid ? mid.slice(6).trim() : String(index));
    });
  return mids;
}
