/**
 * Janus's `bufferkf` for a plain-RTP video stream (a Streaming mountpoint, and its cascades): the
 * packets since the last keyframe, so that a viewer that starts decodes from a keyframe at once
 * instead of waiting for the sender's next one (a plain-RTP sender cannot be asked for one).
 * Payloads are kept by reference: each datagram is its own Buffer, never reused.
 */

/** Beyond this many packets since the keyframe nothing more is kept (a long GOP): the next keyframe starts again. */
export const MAX_BUFFERED_PACKETS = 2048;

export interface BufferedPacket {
  pt: number;
  seq: number;
  ts: number;
  marker: boolean;
  payload: Buffer;
  key: boolean;
  tid: number;
}

export class KeyframeBuffer {
  private packets: BufferedPacket[] = [];
  private full = false;

  /**
   * Keeps a packet: a keyframe's first packet starts the buffer afresh, unless it belongs to the
   * frame that started it (H.264's SPS, PPS and IDR each count as a keyframe start, in one timestamp).
   */
  add(p: BufferedPacket): void {
    if (p.key && !(this.packets[0]?.key === true && this.packets[0].ts === p.ts && !this.full)) {
      this.packets = [p];
      this.full = false;
      return;
    }
    if (this.packets.length === 0 || this.full) return;
    if (this.packets.length >= MAX_BUFFERED_PACKETS) {
      this.packets = [];
      this.full = true;
      return;
    }
    this.packets.push(p);
  }

  /** The packets from the last keyframe on, oldest first. */
  get contents(): readonly BufferedPacket[] {
    return this.packets;
  }

  clear(): void {
    this.packets = [];
  }
}
