/** Whether two codecs are the same for forwarding (H.264: also the same packetization mode and profile). */
export function sameCodec(
  a: { mimeType: string; parameters?: string } | undefined,
  b: { mimeType: string; parameters?: string } | undefined,
): boolean {
  if (!a || !b) return false;
  if (a.mimeType.toLowerCase() !== b.mimeType.toLowerCase()) return false;
  if (a.mimeType.toLowerCase() === 'video/h264') return h264Key(a.parameters) === h264Key(b.parameters);
  return true;
}

function h264Key(fmtp: string | undefined): string {
  const pm = /packetization-mode=(\d)/.exec(fmtp ?? '')?.[1] ?? '0';
  const profile = /profile-level-id=([0-9a-fA-F]{4})/.exec(fmtp ?? '')?.[1]?.toLowerCase() ?? '42e0';
  return `${pm}:${profile}`;
}
