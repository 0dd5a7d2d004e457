import type { MediaPathInfo } from './sfu/mediaPath.js';
import type { RecordingHookTotals } from './recording/hook.js';
import type { RecordingTotals } from './recording/totals.js';
import type { AudioBridgeTotals } from './audiobridge/totals.js';

/** Media counters; kept per mid on the hot path and summed when scraped. */
export interface MediaCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  nacksIn: number;
  nacksOut: number;
  plisIn: number;
  plisOut: number;
}

export const zeroCounters = (): MediaCounters => ({
  packetsIn: 0,
  bytesIn: 0,
  packetsOut: 0,
  bytesOut: 0,
  nacksIn: 0,
  nacksOut: 0,
  plisIn: 0,
  plisOut: 0,
});

export function addCounters(into: MediaCounters, from: MediaCounters): void {
  into.packetsIn += from.packetsIn;
  into.bytesIn += from.bytesIn;
  into.packetsOut += from.packetsOut;
  into.bytesOut += from.bytesOut;
  into.nacksIn += from.nacksIn;
  into.nacksOut += from.nacksOut;
  into.plisIn += from.plisIn;
  into.plisOut += from.plisOut;
}

/**
 * Event-loop lag without a timer of its own: how late the relay's periodic tick (every `periodMs`,
 * the peer table's ticker) ran, the most over the last sampling window. A stall delays the next
 * tick by as much as it overruns the tick's due time, so a busy relay's lag still shows; Node's
 * monitorEventLoopDelay (resolution 10 ms) woke the process 100 times a second for it, ~3.5 ms of
 * CPU per second on an idle relay (issue 12).
 */
export class LagMonitor {
  private lastTick: number | undefined;
  private worst = 0;
  private last = 0;

  constructor(private readonly periodMs: number) {}

  /** The periodic tick ran (at `now`, in ms, the time it started): note how late. */
  tick(now: number): void {
    if (this.lastTick !== undefined) this.worst = Math.max(this.worst, now - this.lastTick - this.periodMs);
    this.lastTick = now;
  }
  /** Ticks stopped: the time until they start again is no lag. */
  stop(): void {
    this.lastTick = undefined;
  }
  /** Closes the current window (call about once a second). */
  sample(): number {
    this.last = Math.round(this.worst * 100) / 100;
    this.worst = 0;
    return this.last;
  }
  get lagMs(): number {
    return this.last;
  }
}

export interface MetricsSnapshot {
  peers: number;
  peersCreatedTotal: number;
  portsInUse: number;
  portsTotal: number;
  eventLoopLagMs: number;
  counters: MediaCounters;
  controlConnected: boolean;
  mediaPath?: MediaPathInfo;
  recordings?: RecordingTotals;
  /** Present when RELAY_RECORDING_HOOK is set. */
  recordingHook?: RecordingHookTotals;
  audiobridge?: AudioBridgeTotals;
}

/** Renders the Prometheus text exposition format (0.0.4). */
export function renderPrometheus(s: MetricsSnapshot, relayId: string): string {
  const label = `{relay="${relayId.replace(/["\\\n]/g, '_')}"}`;
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${label} ${value}`);
  };
  metric('relay_peers', 'gauge', 'Live PeerConnections.', s.peers);
  metric('relay_peers_created_total', 'counter', 'PeerConnections created since start.', s.peersCreatedTotal);
  metric('relay_ports_in_use', 'gauge', 'ICE UDP ports bound from the configured range.', s.portsInUse);
  metric('relay_ports_total', 'gauge', 'Size of the configured ICE port range.', s.portsTotal);
  metric(
    'relay_event_loop_lag_ms',
    'gauge',
    "Event loop lag: the most the relay's 250 ms tick ran late over the last second, in ms.",
    s.eventLoopLagMs,
  );
  metric(
    'relay_control_connected',
    'gauge',
    '1 when the control socket to the edge is welcomed.',
    s.controlConnected ? 1 : 0,
  );
  metric('relay_rtp_packets_in_total', 'counter', 'RTP packets received from clients.', s.counters.packetsIn);
  metric('relay_rtp_bytes_in_total', 'counter', 'RTP bytes received from clients.', s.counters.bytesIn);
  metric('relay_rtp_packets_out_total', 'counter', 'RTP packets sent to clients.', s.counters.packetsOut);
  metric('relay_rtp_bytes_out_total', 'counter', 'RTP bytes sent to clients.', s.counters.bytesOut);
  metric('relay_nacks_in_total', 'counter', 'NACK feedback received from clients.', s.counters.nacksIn);
  metric('relay_nacks_out_total', 'counter', 'NACK feedback sent to clients.', s.counters.nacksOut);
  metric('relay_plis_in_total', 'counter', 'PLI feedback received from clients.', s.counters.plisIn);
  metric('relay_plis_out_total', 'counter', 'PLI feedback sent to clients.', s.counters.plisOut);
  const r = s.recordings;
  if (r) {
    metric('relay_recordings_open', 'gauge', 'Recording (.mjr) files being written.', r.open);
    metric('relay_recording_bytes_written_total', 'counter', 'Bytes written to recording files.', r.bytesWritten);
    metric(
      'relay_recording_packets_dropped_total',
      'counter',
      'Packets not recorded because a recording write queue was full.',
      r.packetsDropped,
    );
    metric('relay_recordings_failed_total', 'counter', 'Recordings ended early by a disk error.', r.failed);
  }
  const h = s.recordingHook;
  if (h) {
    const l = label.slice(0, -1);
    lines.push(
      '# HELP relay_recording_hook_runs_total Recording hook runs by result (dropped: the queue was full, never run).',
      '# TYPE relay_recording_hook_runs_total counter',
      ...(['ok', 'failed', 'timeout', 'dropped'] as const).map(
        (r) => `relay_recording_hook_runs_total${l},result="${r}"} ${h[r]}`,
      ),
    );
    metric('relay_recording_hooks_running', 'gauge', 'Recording hooks running now.', h.running);
    metric('relay_recording_hooks_queued', 'gauge', 'Recording hooks waiting to run.', h.queued);
  }
  const ab = s.audiobridge;
  if (ab) {
    metric('relay_audiobridge_mixers', 'gauge', 'AudioBridge mixers running.', ab.mixers);
    metric('relay_audiobridge_participants', 'gauge', 'AudioBridge participants in a mixer.', ab.participants);
    metric('relay_audiobridge_opus_decoders', 'gauge', 'Opus decoders alive.', ab.decoders);
    metric('relay_audiobridge_opus_encoders', 'gauge', 'Opus encoders alive.', ab.encoders);
    metric('relay_audiobridge_frames_mixed_total', 'counter', 'AudioBridge 20 ms frames mixed.', ab.framesMixed);
    metric(
      'relay_audiobridge_frames_dropped_total',
      'counter',
      'AudioBridge frames skipped because a mixer tick ran more than a frame late.',
      ab.framesDropped,
    );
    metric('relay_audiobridge_tick_seconds_total', 'counter', 'Time spent in mixing ticks.', ab.tickMicros / 1e6);
    metric(
      'relay_audiobridge_leg_srtp_dropped_total',
      'counter',
      'Packets between relays dropped for failing SRTP (forged, tampered, replayed).',
      ab.legSrtpDropped,
    );
  }
  const m = s.mediaPath;
  if (m) {
    const l = label.slice(0, -1);
    lines.push(
      '# HELP relay_media_path_info How media is protected (srtp: libcrypto or node) and sent (udp: sendto or dgram).',
      '# TYPE relay_media_path_info gauge',
      `relay_media_path_info${l},srtp="${m.srtp}",udp="${m.udp}"} 1`,
      '# HELP relay_udp_datagrams_total Media datagrams by how they left: direct syscall, dgram (fallback), dropped.',
      '# TYPE relay_udp_datagrams_total counter',
      `relay_udp_datagrams_total${l},path="direct"} ${m.sends.direct}`,
      `relay_udp_datagrams_total${l},path="dgram"} ${m.sends.viaDgram}`,
      `relay_udp_datagrams_total${l},path="dropped"} ${m.sends.dropped}`,
      '# HELP relay_srtp_inbound_packets_total Inbound SRTP/SRTCP packets: unprotected, or dropped (auth, replay, malformed).',
      '# TYPE relay_srtp_inbound_packets_total counter',
      `relay_srtp_inbound_packets_total${l},result="unprotected"} ${m.inbound.unprotected}`,
      `relay_srtp_inbound_packets_total${l},result="auth"} ${m.inbound.auth}`,
      `relay_srtp_inbound_packets_total${l},result="replay"} ${m.inbound.replay}`,
      `relay_srtp_inbound_packets_total${l},result="malformed"} ${m.inbound.malformed}`,
    );
  }
  return lines.join('\n') + '\n';
}
