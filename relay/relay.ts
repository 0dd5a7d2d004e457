import type { PeerEvent } from '../shared/control/events.js';
import { peerDigest } from '../shared/control/peerDigest.js';
import type { CommandContext } from './commands/context.js';
import { executeCommand } from './commands/dispatch.js';
import type { RelayConfig } from './config.js';
import { ControlConnection } from './control.js';
import { HttpServer } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { LagMonitor, renderPrometheus, type MetricsSnapshot } from './metrics.js';
import { mediaPathInfo } from './sfu/mediaPath.js';
import { installPortAllocator, PortPool } from './net/ports.js';
import { census } from './net/resources.js';
import { audioBridgeSocketCount, forwarderSocketCount } from './net/sockets.js';
import { ECHOTEST_PLUGIN } from './echo/session.js';
import { DEFAULT_MIN_NACK_QUEUE_MS } from '../shared/control/messages.js';
import { PeerTable, TICK_MS } from './peer/table.js';
import { SfuHub } from './sfu/hub.js';
import { AudioBridgeHub } from './audiobridge/hub.js';
import { audioBridgeTotals } from './audiobridge/totals.js';
import { RecordingHook } from './recording/hook.js';
import { sweepLeftRecordings } from './recording/hookSweep.js';
import { recordingTotals } from './recording/totals.js';

/** The relay process: peers, port pool, control connection to the edge, health/metrics server. */
export class Relay {
  readonly logger: Logger;
  readonly ports: PortPool;
  /** Ports of remote publishers (RTP + RTCP each). */
  readonly remotePorts: PortPool;
  /** Every peer of every plugin, by `${sessionId}:${handleId}`. */
  readonly registry: PeerTable;
  /** The VideoRoom (SFU): its peers (in the registry) and remote publishers. */
  readonly sfu: SfuHub;
  /** The AudioBridge: mixers and their participants (plain-RTP ones live only there). */
  readonly audiobridge: AudioBridgeHub;
  readonly control: ControlConnection;
  /** RELAY_RECORDING_HOOK: run for every recording file that closes complete. */
  readonly recordingHook: RecordingHook | undefined;
  private readonly http: HttpServer;
  private readonly lag = new LagMonitor(TICK_MS);
  private readonly uninstallPorts: () => void;
  private draining = false;
  private stopped: Promise<void> | undefined;
  httpPort = 0;

  constructor(
    readonly config: RelayConfig,
    logger?: Logger,
  ) {
    this.logger = logger ?? createLogger(config.logLevel, { relay: config.relayId });
    this.ports = new PortPool(config.icePortRange[0], config.icePortRange[1]);
    this.uninstallPorts = installPortAllocator(this.ports, this.logger);
    this.remotePorts = new PortPool(config.remotePortRange[0], config.remotePortRange[1]);
    const network = {
      bindAddress: config.bindAddress,
      announcedAddress: config.announcedAddress,
      icePortRange: config.icePortRange,
    };
    this.registry = new PeerTable({
      network,
      logger: this.logger,
      settings: {
        noMediaTimerSec: config.noMediaTimerSec,
        slowlinkThreshold: 0,
        minNackQueueMs: DEFAULT_MIN_NACK_QUEUE_MS,
      },
      statsPeriodSec: config.statsPeriodSec,
      iceStartTimeoutMs: config.iceStartTimeoutSec * 1000,
      emit: (sessionId, handleId, event) => this.emit(sessionId, handleId, event),
    });
    this.sfu = new SfuHub(this.registry, {
      network,
      logger: this.logger,
      remotePorts: this.remotePorts,
      emit: (sessionId, handleId, event) => this.emit(sessionId, handleId, event),
    });
    this.audiobridge = new AudioBridgeHub({
      logger: this.logger,
      mediaPorts: this.remotePorts,
      bindAddress: config.bindAddress,
      announcedAddress: config.announcedAddress,
      emit: (sessionId, handleId, event) => this.emit(sessionId, handleId, event),
    });
    this.recordingHook = config.recordingHook
      ? new RecordingHook(config.recordingHook, config.relayId, this.logger.child({ component: 'recording-hook' }))
      : undefined;
    this.registry.onTick((now, everySecond) => {
      this.lag.tick(now);
      if (everySecond) this.lag.sample();
    });
    const ctx: CommandContext = {
      peers: this.registry,
      sfu: this.sfu,
      audiobridge: this.audiobridge,
      ports: this.ports,
      capacity: config.capacity,
      recordings: this.recordingHook ? { ...config.recordings, hook: this.recordingHook } : config.recordings,
      logger: this.logger,
      isDraining: () => this.draining,
      emitCandidates: (sessionId, handleId, candidates) => {
        for (const candidate of candidates) this.emit(sessionId, handleId, { kind: 'candidate', candidate });
      },
    };
    this.control = new ControlConnection({
      url: config.connectUrl,
      secret: config.secret,
      heartbeatMs: config.heartbeatMs,
      reconnectMinMs: config.reconnectMinMs,
      reconnectMaxMs: config.reconnectMaxMs,
      logger: this.logger,
      registration: () => ({
        relayId: config.relayId,
        region: config.region,
        address: config.announcedAddress,
        capacity: config.capacity,
        load: this.load(),
      }),
      heartbeat: () => ({
        load: this.load(),
        peers: this.peerCount,
        portsInUse: this.ports.inUse,
        eventLoopLagMs: this.lag.lagMs,
        // AudioBridge plain-RTP participants and legs too: the edge tracks their keys as peers
        peerDigest: peerDigest([...this.registry.keys(), ...this.audiobridge.rtpKeys()]),
      }),
      peers: () => [...this.registry.list(), ...this.audiobridge.listRtp()],
      applySettings: (s) => this.registry.applySettings(s),
      execute: (cmd) => executeCommand(ctx, cmd),
    });
    this.http = new HttpServer(
      {
        health: () => this.health(),
        metrics: () => renderPrometheus(this.snapshot(), config.relayId),
        resources: (gc) => {
          const g = (globalThis as { gc?: () => void }).gc;
          if (gc && g) g();
          return {
            ...census(),
            portsInUse: this.ports.inUse,
            ports: this.ports.ports(),
            peers: this.registry.size,
            remotePublishers: this.sfu.remoteCount,
            remotePortsInUse: this.remotePorts.inUse,
            forwarderSockets: forwarderSocketCount(),
            audiobridge: { ...audioBridgeTotals(), rtpSockets: audioBridgeSocketCount() },
            // where the RSS goes: V8's heap, external (Buffers), the rest native
            memory: process.memoryUsage(),
          };
        },
      },
      this.logger,
      config.secret,
    );
  }

  /** PeerConnections and AudioBridge plain-RTP participants (each holds a socket and a mixer seat). */
  private get peerCount(): number {
    return this.registry.size + this.audiobridge.rtpCount;
  }

  private load(): number {
    return Math.round((this.peerCount / this.config.capacity) * 1000) / 1000;
  }

  private emit(sessionId: number, handleId: number, event: PeerEvent): void {
    this.control.sendEvent(sessionId, handleId, event);
  }

  health(): Record<string, unknown> {
    return {
      status: this.draining ? 'draining' : 'ok',
      relayId: this.config.relayId,
      controlConnected: this.control.ready,
      eventLoopLagMs: this.lag.lagMs,
      peers: this.registry.size,
      portsInUse: this.ports.inUse,
      portRange: this.config.icePortRange,
    };
  }

  snapshot(): MetricsSnapshot {
    return {
      // the metrics describe EchoTest peers (VideoRoom peers report through peer.info)
      peers: this.registry.count(ECHOTEST_PLUGIN),
      peersCreatedTotal: this.registry.createdOf(ECHOTEST_PLUGIN),
      portsInUse: this.ports.inUse,
      portsTotal: this.ports.size,
      eventLoopLagMs: this.lag.lagMs,
      counters: this.registry.totals(),
      controlConnected: this.control.ready,
      mediaPath: mediaPathInfo(),
      recordings: { ...recordingTotals },
      ...(this.recordingHook ? { recordingHook: this.recordingHook.totals } : {}),
      audiobridge: audioBridgeTotals(),
    };
  }

  /** Starts the HTTP server and the control connection; resolves with the HTTP port. */
  async start(): Promise<number> {
    this.logger.debug('media send path', { ...mediaPathInfo() });
    this.registry.start();
    this.httpPort = await this.http.listen(this.config.httpPort, this.config.httpBindAddress);
    const hook = this.recordingHook;
    if (hook?.settings.sweep) {
      const r = this.config.recordings;
      await sweepLeftRecordings(r.root ?? r.defaultDir, hook, this.logger);
    }
    this.control.start();
    return this.httpPort;
  }

  /**
   * Graceful shutdown: tell the edge we are draining, hang every peer up (each gets a `hangup`
   * event with `reason`), then close the control socket, the HTTP server and every timer.
   */
  stop(reason = 'Relay shutdown'): Promise<void> {
    this.stopped ??= (async () => {
      this.draining = true;
      this.control.sendDraining();
      const closing = this.registry.closeAll(reason);
      this.sfu.removeAllRemotes();
      await this.audiobridge.closeAll();
      await closing;
      // every file has closed and queued its hook: give running hooks a bounded time
      await this.recordingHook?.shutdown();
      this.registry.stop();
      await this.control.close();
      await this.http.close();
      this.lag.stop();
      this.uninstallPorts();
    })();
    return this.stopped;
  }
}
