import type { PeerEvent, StreamStats } from '../../shared/control/events.js';
import type { MediaCounters } from '../metrics.js';
import { receiverQuality, senderQuality } from '../peer/werift.js';
import type { MidState } from './mid.js';

/** The data channel's counters (one per EchoTest peer). */
export interface DataState {
  mid: string | undefined;
  mindex: number;
  readonly c: MediaCounters;
}

/** Janus's periodic `stats` event: one entry per mid (werift's RTCP figures), the data channel last. */
export function statsEvent(mids: Iterable<MidState>, data: DataState, now: number): PeerEvent | undefined {
  const streams: StreamStats[] = [];
  for (const st of mids) {
    const secs = Math.max(0.001, (now - st.lastStats.at) / 1000);
    const rq = receiverQuality(st.transceiver.receiver);
    const sq = senderQuality(st.transceiver.sender);
    streams.push({
      mid: st.mid,
      mindex: st.mindex,
      media: st.media,
      codec: st.codec,
      rtt: sq.rttMs,
      lost: rq.lost,
      'lost-by-remote': sq.lostByRemote,
      'jitter-local': rq.jitterMs,
      'jitter-remote': 0,
      'packets-received': st.c.packetsIn,
      'packets-sent': st.c.packetsOut,
      'bytes-received': st.c.bytesIn,
      'bytes-sent': st.c.bytesOut,
      'bytes-received-lastsec': Math.round((st.c.bytesIn - st.lastStats.bytesIn) / secs),
      'bytes-sent-lastsec': Math.round((st.c.bytesOut - st.lastStats.bytesOut) / secs),
      'nacks-received': st.c.nacksIn,
      'nacks-sent': st.c.nacksOut,
      'plis-received': st.c.plisIn,
      'plis-sent': st.c.plisOut,
      'retransmissions-received': 0,
      ...(sq.remb > 0 ? { 'remb-bitrate': sq.remb } : {}),
    });
    st.lastStats = { bytesIn: st.c.bytesIn, bytesOut: st.c.bytesOut, at: now };
  }
  if (data.mid !== undefined) {
    const c = data.c;
    streams.push({
      mid: data.mid,
      mindex: data.mindex,
      media: 'data',
      rtt: 0,
      lost: 0,
      'lost-by-remote': 0,
      'jitter-local': 0,
      'jitter-remote': 0,
      'packets-received': c.packetsIn,
      'packets-sent': c.packetsOut,
      'bytes-received': c.bytesIn,
      'bytes-sent': c.bytesOut,
      'bytes-received-lastsec': 0,
      'bytes-sent-lastsec': 0,
      'nacks-received': 0,
      'nacks-sent': 0,
      'plis-received': 0,
      'plis-sent': 0,
      'retransmissions-received': 0,
    });
  }
  return streams.length ? { kind: 'stats', streams } : undefined;
}

/**
 * Janus's slowlink_threshold logic, once a second: at most one `slowlink` per mid and direction per
 * second. uplink=true: the client NACKs what we send it; uplink=false: we NACK what it sends us.
 */
export function slowlinkEvents(
  mids: Iterable<MidState>,
  threshold: number,
  now: number,
  emit: (event: PeerEvent) => void,
): void {
  for (const st of mids) {
    const inWin = st.nacksInWindow;
    const outWin = st.nacksOutWindow;
    st.nacksInWindow = 0;
    st.nacksOutWindow = 0;
    if (threshold <= 0) continue;
    if (inWin > threshold && now - st.lastSlowlinkUp >= 1000) {
      st.lastSlowlinkUp = now;
      emit({ kind: 'slowlink', mid: st.mid, media: st.media, uplink: true, lost: inWin });
    }
    if (outWin > threshold && now - st.lastSlowlinkDown >= 1000) {
      st.lastSlowlinkDown = now;
      emit({ kind: 'slowlink', mid: st.mid, media: st.media, uplink: false, lost: outWin });
    }
  }
}
