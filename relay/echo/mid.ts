import type { MediaStreamTrack, RTCRtpTransceiver } from 'werift';
import { zeroCounters, type MediaCounters } from '../metrics.js';

/** The EchoTest's state of one audio/video m-line: what it received, what it echoed, its timers. */
export interface MidState {
  readonly mid: string;
  readonly media: 'audio' | 'video';
  mindex: number;
  readonly transceiver: RTCRtpTransceiver;
  readonly c: MediaCounters;
  /** The last offer rejected this m-line (port 0): nothing is echoed or reported on it. */
  rejected: boolean;
  /** Set by the packet path, consumed by the tick. */
  rxSinceTick: boolean;
  lastRxAt: number;
  /** undefined until the first packet. */
  receiving: boolean | undefined;
  needKeyframe: boolean;
  lastPliAt: number;
  /** rids of a=simulcast send, highest first (Janus rid_order "hml"). */
  rids: string[];
  currentRid: string | undefined;
  ssrcs: Set<number>;
  codec: string | undefined;
  // slowlink / stats windows
  nacksInWindow: number;
  nacksOutWindow: number;
  lastSlowlinkUp: number;
  lastSlowlinkDown: number;
  lastStats: { bytesIn: number; bytesOut: number; at: number };
  hooked: Set<MediaStreamTrack>;
}

export function newMidState(
  mid: string,
  media: 'audio' | 'video',
  mindex: number,
  transceiver: RTCRtpTransceiver,
): MidState {
  return {
    mid,
    media,
    mindex,
    transceiver,
    c: zeroCounters(),
    rejected: false,
    rxSinceTick: false,
    lastRxAt: 0,
    receiving: undefined,
    needKeyframe: media === 'video',
    lastPliAt: 0,
    rids: [],
    currentRid: undefined,
    ssrcs: new Set(),
    codec: undefined,
    nacksInWindow: 0,
    nacksOutWindow: 0,
    lastSlowlinkUp: 0,
    lastSlowlinkDown: 0,
    lastStats: { bytesIn: 0, bytesOut: 0, at: Date.now() },
    hooked: new Set(),
  };
}

/** Substream 0 is the lowest layer; the client lists rids highest first (Janus's default "hml"). */
export function targetRid(st: MidState, substream: number): string | undefined {
  const n = st.rids.length;
  if (n === 0) return undefined;
  const index = Math.max(0, n - 1 - Math.min(substream, n - 1));
  return st.rids[index];
}
