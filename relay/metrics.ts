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

type MetricType = 'gauge' | 'counter';
/** One sample: its extra labels (beside `relay`) and its value. */
type Sample = [labels: Record<string, string>, value: number];

/** Renders the Prometheus text exposition format (0.0.4). */
export function renderPrometheus(s: MetricsSnapshot, relayId: string): string {
  const relay = relayId.replace(/["\\\n]/g, '_');
  const lines: string[] = [];
  const family = (name: string, type: MetricType, help: string, samples: Sample[]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const extra = Object.entries(labels).map(([k, v]) => `,${k}="${v}"`);
      lines.push(`${name}{relay="${relay}"${extra.join('')}} ${value}`);
    }
  };
  const metric = (name: string, type: MetricType, help: string, value: number) =>
    family(name, type, help, [[{}, value]]);
  /** One sample per key of `values`, labelled `label="key"`. */
  const byLabel = <K extends string>(
    name: string,
    type: MetricType,
    help: string,
    label: string,
    values: Record<K, number>,
  ) =>
    family(
      name,
      type,
      help,
      (Object.entries(values) as [K, number][]).map(([k, v]) => [{ [label]: k }, v]),
    );
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
    byLabel(
      'relay_recording_hook_runs_total',
      'counter',
      'Recording hook runs by result (dropped: the queue was full, never run).',
      'result',
      { ok: h.ok, failed: h.failed, timeout: h.timeout, dropped: h.dropped },
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
    family(
      'relay_media_path_info',
      'gauge',
      'How media is protected (srtp: libcrypto or node) and sent (udp: sendto or dgram).',
      [[{ srtp: m.srtp, udp: m.udp }, 1]],
    );
    byLabel(
      'relay_udp_datagrams_total',
      'counter',
      'Media datagrams by how they left: direct syscall, dgram (fallback), dropped.',
      'path',
      { direct: m.sends.direct, dgram: m.sends.viaDgram, dropped: m.sends.dropped },
    );
    byLabel(
      'relay_srtp_inbound_packets_total',
      'counter',
      'Inbound SRTP/SRTCP packets: unprotected, or dropped (auth, replay, malformed).',
      'result',
      m.inbound,
    );
  }
  return lines.join('\n') + '\n';
}
