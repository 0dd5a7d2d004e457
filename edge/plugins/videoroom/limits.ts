/** The VideoRoom's deployment-wide limits (janus.plugin.videoroom.jcfg's `general`, plus ours). */
export interface VideoRoomLimits {
  /** Janus's `admin_key`: `create` needs it when set. */
  adminKey?: string;
  /** Janus's `lock_rtp_forward`: remote publishers and RTP forwarders need the admin key too. */
  lockRtpForward: boolean;
  /** Remote publishers one room may hold (each takes two relay ports); 0 = no limit. */
  maxRemotePublishers: number;
  /** Remote publishers one session may have added, over every room; 0 = no limit. */
  maxRemotePublishersPerSession: number;
  /** Remote publishers the sessions of one client address may have added, over every room; 0 = no limit. */
  maxRemotePublishersPerAddress: number;
  /** RECORDINGS_ROOT: when set, a room's `rec_dir` (and a publisher's absolute `filename`) must lie inside it (430). */
  recordingsRoot?: string;
}

export const noVideoRoomLimits: VideoRoomLimits = {
  lockRtpForward: false,
  maxRemotePublishers: 0,
  maxRemotePublishersPerSession: 0,
  maxRemotePublishersPerAddress: 0,
};
