import type { CommandInput } from '../../shared/control/commands.js';
import type { RelaySettings } from '../../shared/control/messages.js';
import type { RpcResult } from '../rpc.js';

/** What a relay's link object answers over RPC (`RelayLink` implements it). */
export interface RelayLinkApi extends Rpc.DurableObjectBranded {
  /** Runs one command on the relay. */
  command(cmd: CommandInput): Promise<RpcResult<unknown>>;
  /** A VideoRoom depends on this relay beyond its peers' PeerConnections: tell it when the relay is lost. */
  watch(room: string): Promise<void>;
  unwatch(room: string): Promise<void>;
  /** Relay-wide settings an admin changed: sent to the relay at once. */
  applySettings(settings: RelaySettings): Promise<void>;
}
