import type { Command, TrickleCandidate } from '../../shared/control/commands.js';
import type { AudioBridgeHub } from '../audiobridge/hub.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import type { PeerTable } from '../peer/table.js';
import type { RecordingSettings } from '../recording/recordingDir.js';
import type { SfuHub } from '../sfu/hub.js';
import type { StreamingHub } from '../streaming/hub.js';

/** What a command produced: the reply's `result`, and work to do once the reply is on the wire. */
export interface Outcome {
  result: Record<string, unknown>;
  after?: () => void;
}

/** One plugin's media engine as the dispatcher sees it (relay/echo, relay/sfu, …). */
export interface CommandEngine {
  /** The Janus plugin whose peers it runs (`peer.create`'s `plugin`). */
  readonly plugin: string;
  /** The prefix of the ops that are its own (`sfu.`), besides the `peer.*` ops of its peers. */
  readonly opPrefix?: string;
  /** Keys it holds that are no peer of the table (AudioBridge plain-RTP participants): their `peer.*` ops are its. */
  owns?(ctx: CommandContext, key: string): boolean;
  execute(ctx: CommandContext, key: string, cmd: Command): Promise<Outcome>;
}

/** RELAY_WORKER_THREADS (relay/threads/threadPool.ts), as commands see it. */
export interface CommandThreads {
  /** Peers the relay threads hold (they count against the capacity). */
  readonly size: number;
  holder(key: string): object | undefined;
  /** The outcome when a relay thread runs the command; undefined: the main thread runs it. */
  execute(ctx: CommandContext, key: string, cmd: Command): Promise<Outcome> | undefined;
}

/** What command handlers of every plugin work with. */
export interface CommandContext {
  peers: PeerTable;
  /** VideoRoom (relay/sfu). */
  sfu: SfuHub;
  /** AudioBridge (relay/audiobridge): mixers and their participants. */
  audiobridge: AudioBridgeHub;
  /** Streaming (relay/streaming): RTP mountpoints. */
  streaming: StreamingHub;
  /** The ICE port range (a new peer needs one port). */
  ports: PortPool;
  capacity: number;
  /** Where `peer.record` writes (RELAY_RECORDINGS_DIR / _ROOT). */
  recordings: RecordingSettings;
  logger: Logger;
  isDraining(): boolean;
  emitCandidates(sessionId: number, handleId: number, candidates: TrickleCandidate[]): void;
  /** Relay threads holding VideoRoom subscribers (none: everything runs on the main thread). */
  threads?: CommandThreads;
}

/** The reply; a trickling peer's gathered candidates follow it as events. */
export function withCandidates(
  ctx: CommandContext,
  cmd: { sessionId: number; handleId: number },
  candidates: TrickleCandidate[] | undefined,
  result: Record<string, unknown>,
): Outcome {
  if (!candidates) return { result };
  return { result, after: () => ctx.emitCandidates(cmd.sessionId, cmd.handleId, candidates) };
}
