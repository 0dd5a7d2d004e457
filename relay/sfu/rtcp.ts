/**
 * The few RTCP feedback messages a cascade link carries (RFC 4585 / RFC 5104): keyframe requests
 * (PLI, FIR) and generic NACKs, read from and written to plain UDP. Not on the per-packet path: a
 * parse may allocate its (small) result.
 */

/** RTPFB (transport-layer feedback); FMT 1 = generic NACK. */
export const RTCP_RTPFB = 205;
/** PSFB (payload-specific feedback); FMT 1 = PLI, FMT 4 = FIR. */
export const RTCP_PSFB = 206;
/** A generic NACK names at most this many lost packets per FCI entry (PID + 16 BLP bits). */
const NACK_SPAN = 17;

export type RtcpFeedback = { kind: 'keyframe'; ssrc: number } | { kind: 'nack'; ssrc: number; lost: number[] };

/**
 * The keyframe requests and NACKs of a plain RTCP compound packet, by media SSRC (a FIR names its
 * SSRCs in the FCI). `undefined` when the datagram is not entirely plausible plain RTCP — SRTCP
 * (only its first header is in the clear), truncated or garbage — for the caller to fall back on
 * {@link hasKeyframeRequest}. Every length is checked against the buffer before it is read.
 */
export function parseRtcpFeedback(buf: Buffer): RtcpFeedback[] | undefined {
  const out: RtcpFeedback[] = [];
  let off = 0;
  if (buf.length < 4) return undefined;
  while (off < buf.length) {
    if (off + 4 > buf.length) return undefined;
    const b0 = buf[off]!;
    const pt = buf[off + 1]!;
    if (b0 >> 6 !== 2 || pt < 192 || pt > 223) return undefined;
    const end = off + (buf.readUInt16BE(off + 2) + 1) * 4;
    if (end > buf.length) return undefined;
    const fmt = b0 & 0x1f;
    // feedback messages: header, sender SSRC, media SSRC, FCI
    if ((pt === RTCP_RTPFB || pt === RTCP_PSFB) && end - off >= 12) {
      const media = buf.readUInt32BE(off + 8);
      if (pt === RTCP_RTPFB && fmt === 1) {
        const lost: number[] = [];
        for (let i = off + 12; i + 4 <= end; i += 4) {
          const pid = buf.readUInt16BE(i);
          const blp = buf.readUInt16BE(i + 2);
          lost.push(pid);
          for (let b = 0; b < 16; b++) if (blp & (1 << b)) lost.push((pid + b + 1) & 0xffff);
        }
        if (lost.length > 0) out.push({ kind: 'nack', ssrc: media, lost });
      } else if (pt === RTCP_PSFB && fmt === 1) {
        out.push({ kind: 'keyframe', ssrc: media });
      } else if (pt === RTCP_PSFB && fmt === 4) {
        // FCI entries: SSRC, seq nr, reserved (8 bytes each)
        let any = false;
        for (let i = off + 12; i + 8 <= end; i += 8) {
          out.push({ kind: 'keyframe', ssrc: buf.readUInt32BE(i) });
          any = true;
        }
        if (!any) out.push({ kind: 'keyframe', ssrc: media });
      }
    }
    off = end;
  }
  return out;
}

/**
 * Whether an (S)RTCP compound packet holds a PLI or FIR (PSFB 206, FMT 1 / 4). Only headers are read,
 * so it also works on SRTCP, whose first header is in the clear (later ones are encrypted: a walk
 * stops at the first implausible length).
 */
export function hasKeyframeRequest(buf: Buffer): boolean {
  let off = 0;
  while (off + 4 <= buf.length) {
    const b0 = buf[off]!;
    if (b0 >> 6 !== 2) return false;
    const pt = buf[off + 1]!;
    const fmt = b0 & 0x1f;
    if (pt === RTCP_PSFB && (fmt === 1 || fmt === 4)) return true;
    off += (buf.readUInt16BE(off + 2) + 1) * 4;
  }
  return false;
}

/**
 * A generic NACK (RTPFB FMT 1) for `lost`, in the order given (oldest first): each FCI entry is a
 * PID and a bitmask of the 16 sequence numbers after it. Empty list: undefined.
 */
export function buildNack(senderSsrc: number, mediaSsrc: number, lost: readonly number[]): Buffer | undefined {
  if (lost.length === 0) return undefined;
  // count the FCI entries first, to allocate once
  let entries = 0;
  let pid = -1;
  for (const s of lost) {
    if (pid < 0 || ((s - pid) & 0xffff) >= NACK_SPAN) {
      pid = s & 0xffff;
      entries++;
    }
  }
  const buf = Buffer.alloc(12 + entries * 4);
  buf[0] = 0x80 | 1;
  buf[1] = RTCP_RTPFB;
  buf.writeUInt16BE(2 + entries, 2);
  buf.writeUInt32BE(senderSsrc >>> 0, 4);
  buf.writeUInt32BE(mediaSsrc >>> 0, 8);
  let at = 8;
  pid = -1;
  let blp = 0;
  for (const s of lost) {
    const d = (s - pid) & 0xffff;
    if (pid < 0 || d >= NACK_SPAN) {
      if (pid >= 0) buf.writeUInt16BE(blp, at + 2);
      at += 4;
      pid = s & 0xffff;
      blp = 0;
      buf.writeUInt16BE(pid, at);
    } else if (d > 0) blp |= 1 << (d - 1);
  }
  buf.writeUInt16BE(blp, at + 2);
  return buf;
}

/** The `count` sequence numbers from `first` (mod 65536), as {@link buildNack} takes them. */
export function seqRange(first: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = (first + i) & 0xffff;
  return out;
}
