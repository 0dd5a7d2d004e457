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
import { audioBridgeSocketCount, forwarderSocketCount, streamingSocketCount } from './net/sockets.js';
import { ECHOTEST_PLUGIN } from './echo/session.js';
import { DEFAULT_MIN_NACK_QUEUE_MS } from '../shared/control/messages.js';
import { PeerTable, TICK_MS } from './peer/table.js';
import { SfuHub } from './sfu/hub.js';
import { AudioBridgeHub } from './audiobridge/hub.js';
import { StreamingHub } from './streaming/hub.js';
import { audioBridgeTotals } from './audiobridge/totals.js';
import { RecordingHook } from './recording/hook.js';
import { sweepLeftRecordings } from './recording/hookSweep.js';
import { recordingTotals } from './recording/totals.js';
import { IceTcpListener } from './net/iceTcp.js';
import { boundAddresses } from './net/iceAddresses.js';
import { CpuLoad } from './lifecycle/cpuLoad.js';
import { ThreadPool } from './threads/threadPool.js';
import { portSlices } from './threads/portSlices.js';

/** How the relay is started beside its configuration. */
export interface RelayOptions {
  /** The module relay threads run (RELAY_WORKER_THREADS): the relay's entry, which runs relay/threads/threadMain.ts off the main thread. */
  threadScript?: string | URL;
}

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
  readonly streaming: StreamingHub;
  readonly control: ControlConnection;
  /** RELAY_RECORDING_HOOK: run for every recording file that closes complete. */
  readonly recordingHook: RecordingHook | undefined;
  private readonly http: HttpServer;
  private readonly lag = new LagMonitor(TICK_MS);
  private readonly uninstallPorts: () => void;
  /** RELAY_ICE_TCP_PORT: the one listener every peer's passive TCP candidate points at. */
  readonly iceTcp: IceTcpListener | undefined;
  private readonly cpu = new CpuLoad();
  /** RELAY_WORKER_THREADS: the relay threads holding VideoRoom subscribers. */
  readonly threads: ThreadPool | undefined;
  private draining = false;
  private stopped: Promise<void> | undefined;
  httpPort = 0;

  constructor(
    readonly config: RelayConfig,
    logger?: Logger,
    options: RelayOptions = {},
  ) {
    this.logger = logger ?? createLogger(config.logLevel, { relay: config.relayId });
    // with relay threads, each thread (and the main thread) owns a slice of the ICE port range
    const slices = portSlices(config.icePortRange, config.workerThreads);
    const mainPorts = slices[0]!;
    this.ports = new PortPool(mainPorts[0], mainPorts[1]);
    this.uninstallPorts = installPortAllocator(this.ports, this.logger);
    this.remotePorts = new PortPool(config.remotePortRange[0], config.remotePortRange[1]);
    this.iceTcp =
      config.iceTcpPort !== undefined ? new IceTcpListener(this.logger.child({ component: 'ice-tcp' })) : undefined;
    const network = {
      bindAddress: config.bindAddress,
      announcedAddress: config.announcedAddress,
      icePortRange: mainPorts,
      ice: config.ice,
      iceTcp: this.iceTcp,
      turn: config.turn,
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
    this.streaming = new StreamingHub(this.sfu, {
      logger: this.logger,
      mediaPorts: this.remotePorts,
      bindAddress: config.bindAddress,
      announcedAddress: config.announcedAddress,
    });
    if (config.workerThreads > 0) {
      if (!options.threadScript) throw new Error('RELAY_WORKER_THREADS needs the relay entry as threadScript');
      this.threads = new ThreadPool(config.workerThreads, {
        script: options.threadScript,
        sfu: this.sfu,
        logger: this.logger,
        emit: (sessionId, handleId, event) => this.emit(sessionId, handleId, event),
        config: (index) => ({
          relayId: config.relayId,
          threadIndex: index,
          logLevel: config.logLevel,
          bindAddress: config.bindAddress,
          announcedAddress: config.announcedAddress,
          ice: config.ice,
          icePortRange: slices[index + 1]!,
          remotePortRange: config.remotePortRange,
          settings: { ...this.registry.settings },
          recordings: config.recordings,
          statsPeriodSec: config.statsPeriodSec,
          iceStartTimeoutMs: config.iceStartTimeoutSec * 1000,
        }),
      });
    }
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
      streaming: this.streaming,
      ports: this.ports,
      capacity: config.capacity,
      recordings: this.recordingHook ? { ...config.recordings, hook: this.recordingHook } : config.recordings,
      logger: this.logger,
      isDraining: () => this.draining,
      threads: this.threads,
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
        ipv6: config.ice.bindAddress6 !== undefined,
        iceTcp: this.iceTcp !== undefined,
      }),
      heartbeat: () => ({
        load: this.load(),
        peers: this.peerCount,
        portsInUse: this.ports.inUse,
        eventLoopLagMs: this.lag.lagMs,
        cpu: this.cpu.sample(),
        ...(this.draining ? { draining: true } : {}),
        // AudioBridge plain-RTP participants and legs too: the edge tracks their keys as peers
        peerDigest: peerDigest([
          ...this.registry.keys(),
          ...this.audiobridge.rtpKeys(),
          ...(this.threads?.keys() ?? []),
        ]),
      }),
      peers: () => [...this.registry.list(), ...this.audiobridge.listRtp(), ...(this.threads?.list() ?? [])],
      applySettings: (s) => {
        this.registry.applySettings(s);
        this.threads?.applySettings(s);
      },
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
            threads: this.threads?.census(),
            threadPeers: this.threads?.size ?? 0,
            remotePublishers: this.sfu.remoteCount,
            remotePortsInUse: this.remotePorts.inUse,
            forwarderSockets: forwarderSocketCount(),
            audiobridge: { ...audioBridgeTotals(), rtpSockets: audioBridgeSocketCount() },
            streaming: { ...this.streaming.census(), sockets: streamingSocketCount() },
            // where the RSS goes: V8's heap, external (Buffers), the rest native
            memory: process.memoryUsage(),
          };
        },
        threads: (crash) => ({
          crashed: crash !== undefined && Number.isInteger(crash) ? (this.threads?.crash(crash) ?? false) : false,
          restarts: this.threads?.restarts ?? 0,
          threads: this.threads?.census() ?? [],
        }),
      },
      this.logger,
      config.secret,
    );
  }

  /** PeerConnections (the main thread's and the relay threads') and AudioBridge plain-RTP participants (each holds a socket and a mixer seat). */
  private get peerCount(): number {
    return this.registry.size + this.audiobridge.rtpCount + (this.threads?.size ?? 0);
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
      peers: this.registry.size + (this.threads?.size ?? 0),
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
    await this.threads?.ready();
    if (this.iceTcp) {
      const port = await this.iceTcp.listen(this.config.iceTcpPort ?? 0, boundAddresses(this.config.ice));
      this.logger.info('ICE-TCP listening', { port });
    }
    this.httpPort = await this.http.listen(this.config.httpPort, this.config.httpBindAddress);
    const hook = this.recordingHook;
    if (hook?.settings.sweep) {
      const r = this.config.recordings;
      await sweepLeftRecordings(r.root ?? r.defaultDir, hook, this.logger);
    }
    this.control.start();
    return this.httpPort;
  }

  /** Whether the relay drains (SIGTERM): it takes no new peer. */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * SIGTERM: from now on no new peer (the edge is told at once and on every heartbeat, `peer.create`
   * answers 472); the calls in progress go on until they end or `graceMs` passed, then {@link stop}
   * hangs up what is left. Resolves once stopped.
   */
  async drain(graceMs = this.config.drainGraceMs, reason = 'Relay shutdown'): Promise<void> {
    if (!this.draining) {
      this.draining = true;
      this.control.sendDraining();
      this.logger.info('draining', { peers: this.peerCount, graceMs });
    }
    const deadline = Date.now() + graceMs;
    while (!this.stopped && this.peerCount > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))));
    if (this.peerCount > 0) this.logger.info('drain grace over', { peers: this.peerCount });
    await this.stop(reason);
  }

  /**
   * Graceful shutdown: tell the edge we are draining, hang every peer up (each gets a `hangup`
   * event with `reason`), then close the control socket, the HTTP server and every timer.
   */
  stop(reason = 'Relay shutdown'): Promise<void> {
    this.stopped ??= (async () => {
      if (!this.draining) this.control.sendDraining();
      this.draining = true;
      const closing = this.registry.closeAll(reason);
      const threadsClosed = this.threads?.stop(reason);
      this.sfu.removeAllRemotes();
      const mountsClosed = this.streaming.closeAll();
      await this.audiobridge.closeAll();
      await closing;
      await threadsClosed;
      await mountsClosed;
      // every file has closed and queued its hook: give running hooks a bounded time
      await this.recordingHook?.shutdown();
      this.registry.stop();
      await this.control.close();
      await this.http.close();
      await this.iceTcp?.close();
      this.lag.stop();
      this.uninstallPorts();
    })();
    return this.stopped;
  }
}
