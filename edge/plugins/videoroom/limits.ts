/** The VideoRoom's deployment-wide limits (janus.plugin.videoroom.jcfg's `general`, plus ours). */
export interface VideoRoomLimits {
  /** Janus's `admin_key`: `create` needs it when set. */
  adminKey?: string;
  /** Janus's `lock_rtp_forward`: remote publishers and RTP forwarders need the admin key too. */
  lockRtpForward: boolean;
  /** Remote publishers one room may hold (each takes two relay ports); 0 = no limit. */
  maxRemotePublishers: number;
}

export const noVideoRoomLimits: VideoRoomLimits = { lockRtpForward: false, maxRemotePublishers: 0 };
