import type { CommandInput, CommandOp, CommandResult } from '../../shared/control/commands.js';
import { JanusError } from '../../shared/janus/errors.js';
import { rpcFail, unwrap } from '../rpc.js';
import type { RelayLinkApi } from './relayLinkApi.js';

/** A relay connection: the relay's id and the `RelayLink` object holding its control socket. */
export interface RelayRef {
  relayId: string;
  linkId: string;
  /** The relay's region, where known (the VideoRoom shows participants where their media is). */
  region?: string;
}

export type CommandArgs<O extends CommandOp> = Extract<CommandInput, { op: O }>;

/**
 * The only way edge code talks to a relay (as mediasoup's Channel is to its worker): one typed
 * command, its arguments and result typed by `shared/control`. Failures throw a JanusApiError with
 * the relay's code and reason (490 when the relay or its link is unreachable).
 */
export interface RelayClient {
  command<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>>;
}

/** Where the relay client finds a relay's link object (the `Stubs`). */
export interface RelayLinks {
  relayLink(linkId: string): Pick<RelayLinkApi, 'command'>;
}

/** The relay client over `RelayLink` Durable Objects. */
export class LinkRelayClient implements RelayClient {
  constructor(private readonly stubs: RelayLinks) {}

  async command<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    const out = await this.stubs
      .relayLink(relay.linkId)
      .command(cmd)
      .catch((err: unknown) => rpcFail(JanusError.UNKNOWN, `Relay unreachable: ${String(err)}`));
    // The relay validated the command against the same schemas and answers the op's result shape.
    return unwrap(out) as CommandResult<O>;
  }
}
