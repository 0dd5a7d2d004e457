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
