/** Relay-wide recording counters (relay/metrics.ts exposes them). */
export interface RecordingTotals {
  /** Recording files open now. */
  open: number;
  /** Bytes written to recording files since start. */
  bytesWritten: number;
  /** Packets dropped because a recording's write queue was full. */
  packetsDropped: number;
  /** Recordings ended early by a disk error (ENOSPC, a vanished directory, …). */
  failed: number;
}

export const recordingTotals: RecordingTotals = { open: 0, bytesWritten: 0, packetsDropped: 0, failed: 0 };
