/**
 * The sequence numbers and timestamps a recording stores, as Janus's recorder rewrites them
 * (janus_rtp_header_update with the recorder's own switching context): the first packet is stored
 * with timestamp 0 and sequence number 1; when the SSRC changes (a simulcast layer switch, a
 * renegotiated stream) both continue from the last packet stored, the timestamp advanced by the
 * wall-clock time since it (90 kHz for video, 48 kHz for audio, 8 kHz for G.711/G.722).
 */
export class RecordedRtpContinuity {
  /** The rewritten sequence number and timestamp of the last {@link update}. */
  seq = 0;
  ts = 0;
  private lastSsrc = -1;
  private baseTs = 0;
  private baseTsPrev = 0;
  private baseSeq = 0;
  private baseSeqPrev = 0;
  private lastTime = 0;

  constructor(private readonly video: boolean) {}

  update(ssrc: number, pt: number, seq: number, ts: number, nowMs: number): void {
    if (ssrc !== this.lastSsrc) {
      this.lastSsrc = ssrc;
      this.baseTsPrev = this.ts;
      this.baseTs = ts;
      if (this.lastTime > 0) {
        const khz = this.video ? 90 : pt === 0 || pt === 8 || pt === 9 ? 8 : 48;
        const diff = Math.max(1, Math.floor((nowMs - this.lastTime) * khz));
        this.baseTsPrev = (this.baseTsPrev + diff) >>> 0;
      }
      this.baseSeqPrev = this.seq;
      this.baseSeq = seq;
    }
    this.ts = (ts - this.baseTs + this.baseTsPrev) >>> 0;
    this.seq = (seq - this.baseSeq + this.baseSeqPrev + 1) & 0xffff;
    this.lastTime = nowMs;
  }
}
