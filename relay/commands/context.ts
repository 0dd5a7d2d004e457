import type { TrickleCandidate } from '../../shared/control/commands.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import type { PeerTable } from '../peer/table.js';
import type { SfuHub } from '../sfu/hub.js';

/** What a command produced: the reply's `result`, and work to do once the reply is on the wire. */
export interface Outcome {
  result: Record<string, unknown>;
  after?: () => void;
}

/** What command handlers of every plugin work with. */
export interface CommandContext {
  peers: PeerTable;
  /** VideoRoom (relay/sfu). */
  sfu: SfuHub;
  /** The ICE port range (a new peer needs one port). */
  ports: PortPool;
  capacity: number;
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
