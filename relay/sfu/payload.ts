/**
 * Cheap inspection of video RTP payloads on the packet path: keyframe detection and the VP8 temporal
 * layer id. No allocation; every function reads a few bytes of the payload.
 */

export const enum CodecId {
  OTHER = 0,
  VP8 = 1,
  VP9 = 2,
  H264 = 3,
  AV1 = 4,
}

export function codecId(name: string | undefined): CodecId {
  switch (name?.toLowerCase()) {
    case 'vp8':
      return CodecId.VP8;
    case 'vp9':
      return CodecId.VP9;
    case 'h264':
      return CodecId.H264;
    case 'av1':
      return CodecId.AV1;
    default:
      return CodecId.OTHER;
  }
}

/** Offset of the VP8 payload header after the payload descriptor (RFC 7741 §4.2), or -1. */
function vp8HeaderOffset(p: Uint8Array): number {
  const len = p.length;
  if (len < 1) return -1;
  const b0 = p[0]!;
  let off = 1;
  if (b0 & 0x80) {
    if (len < 2) return -1;
    const x = p[1]!;
    off = 2;
    if (x & 0x80) {
      // I: PictureID, 7 or 15 bits
      if (off >= len) return -1;
      off += p[off]! & 0x80 ? 2 : 1;
    }
    if (x & 0x40) off++; // L: TL0PICIDX
    if (x & 0x30) off++; // T or K: TID/Y/KEYIDX
  }
  return off < len ? off : -1;
}

/** VP8: start of partition 0 of a frame whose P bit is 0. */
export function isVp8Keyframe(p: Uint8Array): boolean {
  if (p.length < 2) return false;
  const b0 = p[0]!;
  // S=1 and partition index 0: the first packet of the frame
  if ((b0 & 0x10) === 0 || (b0 & 0x0f) !== 0) return false;
  const off = vp8HeaderOffset(p);
  return off >= 0 && (p[off]! & 0x01) === 0;
}

/** VP8 temporal layer id (TID), 0 when the descriptor carries none. */
export function vp8TemporalId(p: Uint8Array): number {
  if (p.length < 2 || (p[0]! & 0x80) === 0) return 0;
  const x = p[1]!;
  if ((x & 0x20) === 0) return 0; // no T bit
  let off = 2;
  if (x & 0x80) {
    if (off >= p.length) return 0;
    off += p[off]! & 0x80 ? 2 : 1;
  }
  if (x & 0x40) off++;
  return off < p.length ? p[off]! >> 6 : 0;
}

/** VP9 (draft-ietf-payload-vp9): B=1 (start of frame) and P=0 (not inter-predicted). */
export function isVp9Keyframe(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const b0 = p[0]!;
  return (b0 & 0x40) === 0 && (b0 & 0x08) !== 0;
}

/** H.264 (RFC 6184): an IDR slice or SPS, directly, inside a STAP-A, or at the start of a FU-A. */
export function isH264Keyframe(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const nal = p[0]! & 0x1f;
  if (nal === 5 || nal === 7) return true;
  if (nal === 24) {
    let off = 1;
    while (off + 2 < p.length) {
      const size = (p[off]! << 8) | p[off + 1]!;
      const t = p[off + 2]! & 0x1f;
      if (t === 5 || t === 7) return true;
      off += 2 + size;
    }
    return false;
  }
  if (nal === 28 && p.length >= 2) {
    const fu = p[1]!;
    const t = fu & 0x1f;
    return (fu & 0x80) !== 0 && (t === 5 || t === 7);
  }
  return false;
}

/** AV1 (RTP payload format §4.4): N bit = first packet of a coded video sequence. */
export function isAv1Keyframe(p: Uint8Array): boolean {
  return p.length >= 1 && (p[0]! & 0x08) !== 0;
}

export function isKeyframe(codec: CodecId, p: Uint8Array): boolean {
  switch (codec) {
    case CodecId.VP8:
      return isVp8Keyframe(p);
    case CodecId.VP9:
      return isVp9Keyframe(p);
    case CodecId.H264:
      return isH264Keyframe(p);
    case CodecId.AV1:
      return isAv1Keyframe(p);
    default:
      return false;
  }
}
