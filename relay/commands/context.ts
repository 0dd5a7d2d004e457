import type { Command, TrickleCandidate } from '../../shared/control/commands.js';
import type { AudioBridgeHub } from '../audiobridge/hub.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import type { PeerTable } from '../peer/table.js';
import type { RecordingSettings } from '../recording/recordingDir.js';
import type { SfuHub } from '../sfu/hub.js';

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

/** What command handlers of every plugin work with. */
export interface CommandContext {
  peers: PeerTable;
  /** VideoRoom (relay/sfu). */
  sfu: SfuHub;
  /** AudioBridge (relay/audiobridge): mixers and their participants. */
  audiobridge: AudioBridgeHub;
  /** The ICE port range (a new peer needs one port). */
  ports: PortPool;
  capacity: number;
  /** Where `peer.record` writes (RELAY_RECORDINGS_DIR / _ROOT). */
  recordings: RecordingSettings;
  logger: Logger;
  isDraining(): boolean;
  emitCandidates(sessionId: number, handleId: number, candidates: TrickleCandidate[]): void;
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
