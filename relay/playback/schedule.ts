import type { MjrFrame } from '../recording/mjrReader.js';

/** One packet of a playout: where it is in the file, when it goes, and the header it goes with. */
export interface ScheduledFrame {
  frame: MjrFrame;
  /** Milliseconds after the start of the playout. */
  dueMs: number;
  /** The outgoing sequence number and timestamp: continuous, whatever the recording's gaps or resets. */
  seq: number;
  timestamp: number;
}

const TWO_32 = 0x1_0000_0000;

/**
 * Orders a track's frames as Janus's Record&Play plays them (by RTP timestamp, unwrapped past 2^32,
 * then by sequence number) and times each by its timestamp's distance from the first one at the
 * track's clock rate. Outgoing sequence numbers count up from `firstSeq` in that order (a packet lost
 * while recording leaves no hole); timestamps keep the recorded spacing from `firstTimestamp`.
 */
export function scheduleTrack(
  frames: readonly MjrFrame[],
  clockRate: number,
  firstSeq: number,
  firstTimestamp: number,
): ScheduledFrame[] {
  if (frames.length === 0) return [];
  // Unwrap in file order: a timestamp far below the previous one wrapped (or the source reset it).
  let cycles = 0;
  let prev = frames[0]!.timestamp;
  const unwrapped = frames.map((frame, index) => {
    if (index > 0) {
      const d = frame.timestamp - prev;
      if (d < -TWO_32 / 2) cycles++;
      else if (d > TWO_32 / 2 && cycles > 0) cycles--;
    }
    prev = frame.timestamp;
    return { frame, ext: frame.timestamp + cycles * TWO_32, index };
  });
  unwrapped.sort((a, b) => a.ext - b.ext || seqOrder(a.frame.seq, b.frame.seq) || a.index - b.index);
  const base = unwrapped[0]!.ext;
  return unwrapped.map(({ frame, ext }, i) => ({
    frame,
    dueMs: ((ext - base) * 1000) / clockRate,
    seq: (firstSeq + i) & 0xffff,
    timestamp: (firstTimestamp + (ext - base)) % TWO_32,
  }));
}

/** Sequence numbers compared across the 16-bit wrap. */
function seqOrder(a: number, b: number): number {
  const d = (b - a) & 0xffff;
  return d === 0 ? 0 : d < 0x8000 ? -1 : 1;
}
