/**
 * The AudioBridge's process-wide counters (read by the relay's /metrics and /resources): what is
 * alive must fall back to zero when every participant left, whatever the path.
 */
export const codecCounts = {
  /** Opus decoders alive (G.711 needs no state). */
  decoders: 0,
  /** Opus encoders alive. */
  encoders: 0,
};

export const mixerTotals = {
  /** Mixers running (one per room on this relay with participants). */
  mixers: 0,
  /** Participants in a mixer (WebRTC and plain RTP). */
  participants: 0,
  /** Plain-RTP participants' UDP sockets open. */
  rtpSockets: 0,
  /** 20 ms frames mixed, summed over mixers. */
  framesMixed: 0,
  /** Frames a late tick skipped (the mixer fell behind by more than a frame). */
  framesDropped: 0,
  /** CPU time spent in mixing ticks, µs (wall clock of the tick). */
  tickMicros: 0,
  /** Ends of relay-to-relay legs keyed for SRTP (bridge peers and home legs; a re-homed bridge again). */
  legSrtpKeyed: 0,
  /** Leg packets dropped for failing SRTP: forged, tampered, replayed, or not SRTP at all. */
  legSrtpDropped: 0,
};

export type AudioBridgeTotals = typeof codecCounts & typeof mixerTotals;

export function audioBridgeTotals(): AudioBridgeTotals {
  return { ...codecCounts, ...mixerTotals };
}
