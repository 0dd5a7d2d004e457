import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { EventType } from '../../shared/janus/events.js';
import type { Jsep } from '../../shared/janus/requests.js';
import { reply, type JanusMessage } from './replies.js';
import type { EmitOptions } from '../events/eventSink.js';
import type { CommandOp, CommandResult } from '../../shared/control/commands.js';
import type {
  HandleContext,
  MediaAccess,
  PeerCommandFields,
  PeerCommandOp,
  PeerCreateOptions,
} from '../plugins/plugin.js';
import type { CommandArgs } from '../relays/relayClient.js';
import type { Handle, RelayRef, Session } from './session.js';

/** Janus's hang-up reason for every PeerConnection a plugin closes (`close_pc` takes no reason). */
export const CLOSE_PC = 'Close PC';

/**
 * What a handle's context needs from the shard holding it. One per shard: contexts and media access
 * are small objects pointing at it, not a dozen closures per attached handle (the attach path is hot).
 */
export interface HandleHost {
  session(sessionId: number): Session | undefined;
  /** Sends an event to the session's transport, or holds it behind the reply it follows. */
  deliverEvent(s: Session, m: JanusMessage, transaction: string | undefined): void;
  emit(type: number, event: Record<string, unknown>, opts: EmitOptions): void;
  persist(s: Session): void;
  hangup(s: Session, h: Handle, reason: string): void;
  /** The session's and its client's limits allow one more PeerConnection (else a 490 is thrown). */
  admitPeer(s: Session, h: Handle): Promise<void>;
  openPeer(
    s: Session,
    h: Handle,
    offer: { sdp: string } | undefined,
    options: PeerCreateOptions,
    placement?: RelayRef,
  ): Promise<CommandResult<'peer.create'>>;
  /** The least loaded relay in the session's region. */
  pickRelay(s: Session): Promise<RelayRef>;
  command<O extends CommandOp>(h: Handle, cmd: CommandArgs<O>): Promise<CommandResult<O>>;
  /** A command to the given relay, whatever the handle holds there. */
  commandAt<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>>;
}

/** A plugin's view of one handle (see {@link HandleContext}). */
export class ShardHandleContext implements HandleContext {
  readonly media: MediaAccess;
  constructor(
    private readonly host: HandleHost,
    readonly sessionId: number,
    readonly handleId: number,
    readonly opaqueId: string | undefined,
    /**
     * The plugin's state, held by the context itself from the start (a restored handle's comes from
     * storage): the plugin still reads it while its handle is torn down, after the registry let it go.
     */
    private state: unknown = undefined,
  ) {
    this.media = new ShardMediaAccess(host, sessionId, handleId);
  }

  private handle(): { s: Session; h: Handle } | undefined {
    const s = this.host.session(this.sessionId);
    const h = s?.handles.get(this.handleId);
    return s && h ? { s, h } : undefined;
  }

  private pkg(): string {
    return this.handle()?.h.plugin.info.package ?? 'unknown';
  }

  private emitOptions(): EmitOptions {
    return { sessionId: this.sessionId, handleId: this.handleId, opaqueId: this.opaqueId };
  }

  pushEvent(data: Record<string, unknown>, jsep?: Jsep, transaction?: string): void {
    const found = this.handle();
    if (!found || found.s.ending) return;
    const m = reply('event', transaction, this.sessionId, {
      sender: this.handleId,
      plugindata: { plugin: found.h.plugin.info.package, data },
    });
    if (jsep) {
      m.jsep = jsep;
      this.host.emit(EventType.JSEP, { owner: 'local', jsep }, this.emitOptions());
    }
    this.host.deliverEvent(found.s, m, transaction);
  }

  notifyEvent(data: Record<string, unknown>): void {
    this.host.emit(EventType.PLUGIN, { plugin: this.pkg(), data }, this.emitOptions());
  }

  getState<T>(): T | undefined {
    return this.state as T | undefined;
  }

  setState(value: unknown): void {
    this.state = value;
    const found = this.handle();
    if (!found) return;
    found.h.pluginState = value;
    this.host.persist(found.s);
  }
}

/** A plugin's access to its handle's PeerConnection (see {@link MediaAccess}). */
class ShardMediaAccess implements MediaAccess {
  constructor(
    private readonly host: HandleHost,
    private readonly sessionId: number,
    private readonly handleId: number,
  ) {}

  private find(): { s: Session; h: Handle } {
    const s = this.host.session(this.sessionId);
    const h = s?.handles.get(this.handleId);
    if (!s || !h || s.ending)
      throw new JanusApiError(
        JanusError.HANDLE_NOT_FOUND,
        `No such handle ${this.handleId} in session ${this.sessionId}`,
      );
    return { s, h };
  }

  get hasPeer(): boolean {
    return this.find().h.hasPeer;
  }

  get relay(): RelayRef | undefined {
    return this.find().h.relay;
  }

  async place(): Promise<RelayRef> {
    const { s, h } = this.find();
    return h.relay ?? this.host.pickRelay(s);
  }

  close(): void {
    const s = this.host.session(this.sessionId);
    const h = s?.handles.get(this.handleId);
    if (s && h) this.host.hangup(s, h, CLOSE_PC);
  }

  async open(
    offer: { sdp: string } | undefined,
    options: PeerCreateOptions,
    placement?: RelayRef,
  ): Promise<CommandResult<'peer.create'>> {
    const { s, h } = this.find();
    if (h.opening) await h.opening.catch(() => undefined);
    if (h.hasPeer) throw new JanusApiError(JanusError.WEBRTC_STATE, 'PeerConnection already exists');
    // Admitted while already `opening`, so a second offer on the handle waits for this one.
    const opening = this.host.admitPeer(s, h).then(() => this.host.openPeer(s, h, offer, options, placement));
    h.opening = opening;
    try {
      return await opening;
    } finally {
      h.opening = undefined;
    }
  }

  async command<O extends PeerCommandOp>(op: O, fields: PeerCommandFields<O>): Promise<CommandResult<O>> {
    const { h } = this.find();
    if (h.opening) await h.opening.catch(() => undefined);
    if (!h.hasPeer || !h.relay) throw new JanusApiError(JanusError.WEBRTC_STATE, 'No PeerConnection');
    // The fields of one op plus its key are that op's arguments; TypeScript cannot see it through Omit.
    return this.host.command(h, {
      ...fields,
      op,
      sessionId: this.sessionId,
      handleId: this.handleId,
    } as unknown as CommandArgs<O>);
  }

  async commandAt<O extends PeerCommandOp>(
    relay: RelayRef,
    op: O,
    fields: PeerCommandFields<O>,
  ): Promise<CommandResult<O>> {
    this.find();
    return this.host.commandAt(relay, {
      ...fields,
      op,
      sessionId: this.sessionId,
      handleId: this.handleId,
    } as unknown as CommandArgs<O>);
  }
}
