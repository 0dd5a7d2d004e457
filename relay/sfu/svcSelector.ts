import { emptyVp9Descriptor, isVp9SwitchKeyframe, parseVp9Descriptor, type Vp9Descriptor } from './vp9Descriptor.js';

/** What {@link SvcSelector.accept} decided for one packet. */
export const enum SvcVerdict {
  DROP = 0,
  FORWARD = 1,
  /** Forward with the RTP marker set: the end of the highest spatial layer forwarded of this picture. */
  FORWARD_MARKED = 2,
}

/** Janus's fallback: a spatial layer that sent nothing this long is not switched up to. */
const LAYER_STALE_MS = 250;

/**
 * One viewer's VP9 SVC layer selection, as Janus's Streaming plugin does it (janus_streaming.c,
 * after medooze's VP9LayerSelector): packets of spatial layers above the current one, and of
 * temporal layers above the current one, are dropped. The spatial layer goes up only at a keyframe
 * (to the target, or the highest layer below it seen in the last 250 ms), and down at a keyframe
 * (non-flexible mode) or at the end of a layer frame (flexible mode); the temporal layer goes up
 * at a switching point (U) that starts a layer frame, down at the end of a frame of the target layer.
 * Packets without layer indices (plain VP9) pass as they are. No allocation per packet.
 */
export class SvcSelector {
  /** Spatial / temporal layer being forwarded, -1 until the first keyframe / switching point. */
  spatial = -1;
  temporal = -1;
  private readonly d: Vp9Descriptor = emptyVp9Descriptor();
  private readonly lastSeenAt = [0, 0, 0];

  /** Starts over (a new source, a restart): wait for a keyframe again. */
  reset(): void {
    this.spatial = -1;
    this.temporal = -1;
  }

  accept(payload: Uint8Array, targetSpatial: number, targetTemporal: number, now: number): SvcVerdict {
    const d = this.d;
    // a descriptor we cannot read, or one without layers, is not ours to filter (Janus relays it too)
    if (!parseVp9Descriptor(payload, d) || !d.hasLayers) return SvcVerdict.FORWARD;
    const sid = d.spatialId;
    if (sid <= 2) this.lastSeenAt[sid] = now;
    if (targetSpatial > this.spatial) {
      if (isVp9SwitchKeyframe(d)) {
        let next = targetSpatial;
        while (next > this.spatial && next > 0 && now - this.lastSeenAt[next]! >= LAYER_STALE_MS) next--;
        if (next > this.spatial) {
          this.spatial = next;
          // just started: the base temporal layer comes with the keyframe, as Janus initializes it
          if (this.temporal === -1) this.temporal = 0;
        }
      }
    } else if (targetSpatial < this.spatial) {
      if (d.flexible ? d.end : isVp9SwitchKeyframe(d)) this.spatial = targetSpatial;
    }
    if (sid > this.spatial) return SvcVerdict.DROP;
    if (targetTemporal > this.temporal) {
      if (d.switchingUp && d.start && d.temporalId > this.temporal && d.temporalId <= targetTemporal)
        this.temporal = d.temporalId;
    } else if (targetTemporal < this.temporal) {
      if (d.end && d.temporalId === targetTemporal) this.temporal = targetTemporal;
    }
    if (d.temporalId > this.temporal) return SvcVerdict.DROP;
    return d.end && sid === this.spatial ? SvcVerdict.FORWARD_MARKED : SvcVerdict.FORWARD;
  }
}
