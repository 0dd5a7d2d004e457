import { parentPort, workerData } from 'node:worker_threads';
import type { Command, TrickleCandidate } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import type { AudioBridgeHub } from '../audiobridge/hub.js';
import { executeCapture } from '../commands/capture.js';
import type { CommandContext } from '../commands/context.js';
import { RelayError } from '../errors.js';
import { createLogger } from '../logger.js';
import { installPortAllocator, PortPool } from '../net/ports.js';
import { peerKey, PeerTable } from '../peer/table.js';
import type { FeedStream } from '../sfu/feed.js';
import { sfuCommands } from '../sfu/commands.js';
import { SfuHub } from '../sfu/hub.js';
import type { StreamingHub } from '../streaming/hub.js';
import type { FromThread, ThreadConfig, ToThread } from './messages.js';
import { MirroredSource } from './mirroredSource.js';
import { FLAG_CLOSED, FLAG_RESYNC, readPacketRing } from './packetRing.js';

/**
 * A relay thread (RELAY_WORKER_THREADS): its own peer table and SfuHub holding the VideoRoom
 * subscribers the main thread placed here (ICE, DTLS, SRTP and their UDP sockets live in this thread),
 * publishers mirrored from the main thread, commands executed by the relay's own dispatcher.
 */
export function runRelayThread(): void {
  const port = parentPort;
  if (!port) throw new Error('runRelayThread outside a worker thread');
  const config = workerData as ThreadConfig;
  const post = (msg: FromThread) => port.postMessage(msg);
  const logger = createLogger(config.logLevel, { relay: config.relayId, thread: config.threadIndex });
  const ports = new PortPool(config.icePortRange[0], config.icePortRange[1]);
  installPortAllocator(ports, logger);
  const network = {
    bindAddress: config.bindAddress,
    announcedAddress: config.announcedAddress,
    icePortRange: config.icePortRange,
    ice: config.ice,
  };
  const emit = (sessionId: number, handleId: number, event: PeerEvent) =>
    post({ t: 'event', sessionId, handleId, event });
  const table = new PeerTable({
    network,
    logger,
    settings: { ...config.settings },
    statsPeriodSec: config.statsPeriodSec,
    iceStartTimeoutMs: config.iceStartTimeoutMs,
    emit,
  });
  const remotePorts = new PortPool(config.remotePortRange[0], config.remotePortRange[1]);
  const sfu = new SfuHub(table, { network, logger, remotePorts });
  const feeds = new Map<number, FeedStream>();
  const sources = new Map<string, MirroredSource>();
  let collected: TrickleCandidate[] | undefined;
  const ctx: CommandContext = {
    peers: table,
    sfu,
    // only the VideoRoom engine runs here (admitPeer reads rtpCount); the other engines are the main thread's
    audiobridge: { rtpCount: 0 } as AudioBridgeHub,
    streaming: {} as StreamingHub,
    ports,
    // the main thread admitted the peer against the relay's capacity
    capacity: Number.MAX_SAFE_INTEGER,
    recordings: config.recordings,
    logger,
    isDraining: () => false,
    emitCandidates: (_s, _h, candidates) => collected?.push(...candidates),
  };

  const forgetSource = (key: string) => {
    const s = sources.get(key);
    if (!s) return;
    sources.delete(key);
    s.close();
    sfu.removeSource(key);
  };

  const execute = async (id: number, cmd: Command) => {
    const key = peerKey(cmd.sessionId, cmd.handleId);
    try {
      // only VideoRoom subscribers live here: their engine runs every command but a capture, one at a time per peer
      const outcome = await table.serialize(key, () =>
        cmd.op === 'peer.capture' ? executeCapture(ctx, key, cmd) : sfuCommands.execute(ctx, key, cmd),
      );
      collected = [];
      outcome.after?.();
      const candidates = collected;
      collected = undefined;
      post({ t: 'reply', id, ok: true, result: outcome.result, candidates, held: table.get(key) !== undefined });
    } catch (err) {
      const code = err instanceof RelayError ? err.code : 500;
      const reason = err instanceof Error ? err.message : String(err);
      post({ t: 'reply', id, ok: false, code, reason, held: table.get(key) !== undefined });
    }
  };

  port.on('message', (msg: ToThread) => {
    switch (msg.t) {
      case 'command':
        void execute(msg.id, msg.cmd);
        return;
      case 'describe': {
        const d = msg.source;
        let s = sources.get(d.key);
        if (!s) {
          s = new MirroredSource(d.key, { bindAddress: config.bindAddress, ports: remotePorts }, logger, feeds, (f) =>
            post({ t: 'keyframe', feedId: f }),
          );
          sfu.addSource(s);
          sources.set(d.key, s);
        }
        s.update(d);
        return;
      }
      case 'data':
        sources.get(msg.key)?.sendData(typeof msg.msg === 'string' ? msg.msg : Buffer.from(msg.msg));
        return;
      case 'sourceGone':
        forgetSource(msg.key);
        return;
      case 'forgetSources':
        for (const key of [...sources.keys()]) forgetSource(key);
        return;
      case 'settings':
        table.applySettings(msg.settings);
        return;
      case 'closeAll':
        void table.closeAll(msg.reason).then(() => post({ t: 'closed' }));
        return;
      case 'crash':
        setImmediate(() => {
          throw new Error('relay thread crash requested (test)');
        });
        return;
    }
  });
  const ring = config.ring;
  if (!ring) throw new Error('relay thread started without its packet ring');
  let now = Date.now();
  void readPacketRing(
    ring,
    (r) => {
      const feed = feeds.get(r.feedId);
      if (!feed) return;
      if (r.flags & FLAG_RESYNC) for (const leg of feed.legs) leg.resync();
      else if (r.flags & FLAG_CLOSED) {
        feed.close();
        feeds.delete(r.feedId);
      } else if (!feed.closed) MirroredSource.deliver(feed, r, now);
    },
    () => false,
    () => (now = Date.now()),
  );
  table.start();
  post({ t: 'ready' });
}
