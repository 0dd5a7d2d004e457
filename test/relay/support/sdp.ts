/** The offer as a client that stopped the `kinds` transceivers sends it: port 0, out of BUNDLE. */
export function rejectInOffer(sdp: string, kinds: Array<'audio' | 'video'>): string {
  const lines = sdp.split('\r\n');
  const rejectedMids: string[] = [];
  let kind: string | undefined;
  lines.forEach((l, i) => {
    const m = /^m=(\S+) \d+ (.*)$/.exec(l);
    if (m) {
      kind = m[1];
      if (kinds.includes(kind as 'audio' | 'video')) lines[i] = `m=${kind} 0 ${m[2]}`;
    } else if (l.startsWith('a=mid:') && kinds.includes(kind as 'audio' | 'video')) rejectedMids.push(l.slice(6));
  });
  return lines
    .map((l) =>
      l.startsWith('a=group:BUNDLE ')
        ? `a=group:BUNDLE ${l
            .slice('a=group:BUNDLE '.length)
            .split(' ')
            .filter((mid) => !rejectedMids.includes(mid))
            .join(' ')}`
        : l,
    )
    .join('\r\n');
}
