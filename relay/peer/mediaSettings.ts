/** Relay-wide media settings (Janus's no_media_timer, slowlink_threshold, min_nack_queue), changed by the edge's admin. */
export interface MediaSettings {
  noMediaTimerSec: number;
  /** Lost packets per second that make a `slowlink` event; 0 = never. */
  slowlinkThreshold: number;
  /** How long (ms) a sent video packet can be retransmitted (Janus min_nack_queue); 0 = never. */
  minNackQueueMs: number;
}
