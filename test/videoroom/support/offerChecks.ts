/**
 * What a subscriber re-offer must look like for a browser to keep its transport (Janus 1.1.2 does
 * the same): `a=setup:actpass` on every m-line (RFC 8842 §5.2), a BUNDLE group that is not empty
 * and names no port-0 (rejected) m-line (RFC 8843 §7.3.3). Returns what is wrong, [] when nothing.
 */
export function reofferProblems(sdp: string): string[] {
  const problems: string[] = [];
  const lines = sdp.split(/\r?\n/);
  const bundle = lines.find((l) => l.startsWith('a=group:BUNDLE'));
  const bundled = (bundle?.slice('a=group:BUNDLE'.length).trim().split(/\s+/) ?? []).filter(Boolean);
  if (bundled.length === 0) problems.push(`empty BUNDLE group (${bundle ?? 'none'})`);
  let port: number | undefined;
  for (const l of lines) {
    const m = /^m=\S+ (\d+)/.exec(l);
    if (m) port = Number(m[1]);
    if (l.startsWith('a=mid:') && port === 0 && bundled.includes(l.slice(6).trim()))
      problems.push(`rejected m-line ${l.slice(6).trim()} in BUNDLE`);
    if (l.startsWith('a=setup:') && l !== 'a=setup:actpass') problems.push(l);
  }
  return problems;
}
