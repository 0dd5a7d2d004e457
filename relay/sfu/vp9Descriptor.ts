/**
 * The VP9 RTP payload descriptor (RFC 9628 §4.2), read on the packet path into a reused object:
 * what a VP9 SVC layer selection needs (layer indices, frame boundaries, switching points).
 *
 *   |I|P|L|F|B|E|V|Z|            required
 *   |M| PICTURE ID  |            I (M: 15 bits, else 7)
 *   | TID |U| SID |D|            L
 *   |   TL0PICIDX   |            L and F=0 (non-flexible mode)
 *   | P_DIFF      |N|            F and P, up to 3
 *   scalability structure        V: |N_S|Y|G|-|-|-|, N_S+1 × WIDTH/HEIGHT if Y, N_G and its groups if G
 */
export interface Vp9Descriptor {
  /** I: a picture id is present (then {@link pictureId}, 7 or 15 bits). */
  hasPictureId: boolean;
  pictureId: number;
  /** P: inter-picture predicted. */
  interPicture: boolean;
  /** L: layer indices present (TID/U/SID/D); without them there is no SVC to select. */
  hasLayers: boolean;
  /** F: flexible mode. */
  flexible: boolean;
  /** B: start of a layer frame; E: end of a layer frame. */
  start: boolean;
  end: boolean;
  /** V: a scalability structure is present (then {@link spatialLayers} from it). */
  hasScalability: boolean;
  /** Z: not used as a reference by upper spatial layers. */
  notReference: boolean;
  temporalId: number;
  /** U: switching up point (to a higher temporal layer). */
  switchingUp: boolean;
  spatialId: number;
  /** D: inter-layer dependency. */
  interLayer: boolean;
  /** -1 when absent (flexible mode, or no layer indices). */
  tl0PicIdx: number;
  /** From the scalability structure, 0 when absent. */
  spatialLayers: number;
  /** Where the VP9 frame starts in the payload. */
  headerLength: number;
}

export const emptyVp9Descriptor = (): Vp9Descriptor => ({
  hasPictureId: false,
  pictureId: -1,
  interPicture: false,
  hasLayers: false,
  flexible: false,
  start: false,
  end: false,
  hasScalability: false,
  notReference: false,
  temporalId: 0,
  switchingUp: false,
  spatialId: 0,
  interLayer: false,
  tl0PicIdx: -1,
  spatialLayers: 0,
  headerLength: 0,
});

/** Reads the descriptor at the start of `p` into `d`; false when it is truncated (nothing to trust in `d`). */
export function parseVp9Descriptor(p: Uint8Array, d: Vp9Descriptor): boolean {
  const len = p.length;
  if (len < 1) return false;
  const b0 = p[0]!;
  d.hasPictureId = (b0 & 0x80) !== 0;
  d.interPicture = (b0 & 0x40) !== 0;
  d.hasLayers = (b0 & 0x20) !== 0;
  d.flexible = (b0 & 0x10) !== 0;
  d.start = (b0 & 0x08) !== 0;
  d.end = (b0 & 0x04) !== 0;
  d.hasScalability = (b0 & 0x02) !== 0;
  d.notReference = (b0 & 0x01) !== 0;
  d.pictureId = -1;
  d.temporalId = 0;
  d.switchingUp = false;
  d.spatialId = 0;
  d.interLayer = false;
  d.tl0PicIdx = -1;
  d.spatialLayers = 0;
  let off = 1;
  if (d.hasPictureId) {
    if (off >= len) return false;
    if (p[off]! & 0x80) {
      if (off + 1 >= len) return false;
      d.pictureId = ((p[off]! & 0x7f) << 8) | p[off + 1]!;
      off += 2;
    } else d.pictureId = p[off++]!;
  }
  if (d.hasLayers) {
    if (off >= len) return false;
    const l = p[off++]!;
    d.temporalId = l >> 5;
    d.switchingUp = (l & 0x10) !== 0;
    d.spatialId = (l >> 1) & 0x07;
    d.interLayer = (l & 0x01) !== 0;
    if (!d.flexible) {
      if (off >= len) return false;
      d.tl0PicIdx = p[off++]!;
    }
  }
  if (d.flexible && d.interPicture) {
    // up to three reference indices, N says another follows
    for (let i = 0; i < 3; i++) {
      if (off >= len) return false;
      if ((p[off++]! & 0x01) === 0) break;
    }
  }
  if (d.hasScalability) {
    off = skipScalabilityStructure(p, off, d);
    if (off < 0) return false;
  }
  d.headerLength = off;
  return off <= len;
}

/** The scalability structure (RFC 9628 §4.2.1) from `off`; the offset after it, or -1 when truncated. */
function skipScalabilityStructure(p: Uint8Array, off: number, d: Vp9Descriptor): number {
  const len = p.length;
  if (off >= len) return -1;
  const v = p[off++]!;
  d.spatialLayers = (v >> 5) + 1;
  if (v & 0x10) off += 4 * d.spatialLayers; // Y: WIDTH and HEIGHT of each spatial layer
  if (v & 0x08) {
    // G: N_G picture group descriptions, each | T |U| R |-|-| and R P_DIFF bytes
    if (off >= len) return -1;
    const groups = p[off++]!;
    for (let g = 0; g < groups; g++) {
      if (off >= len) return -1;
      off += 1 + ((p[off]! >> 2) & 0x03);
    }
  }
  return off <= len ? off : -1;
}

/**
 * A keyframe a viewer may switch spatial layers on: the start of a picture that is not
 * inter-picture predicted, in its base spatial layer (upper layers of a key picture depend on it).
 */
export function isVp9SwitchKeyframe(d: Vp9Descriptor): boolean {
  return d.start && !d.interPicture && (!d.hasLayers || d.spatialId === 0);
}
