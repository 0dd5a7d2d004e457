import type { CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { loadConfig, type EnvVars } from '../../../edge/config.js';
import { AddressAdmission } from '../../../edge/core/addressAdmission.js';
import { AdminOps } from '../../../edge/core/adminOps.js';
import { peersOfAddress } from '../../../edge/core/peerAdmission.js';
import type { CorePeer, ShardHost, ShardStorage } from '../../../edge/core/host.js';
import { TestClock } from '../support/testClock.js';

export { TestClock };
import type { JanusMessage } from '../../../edge/core/replies.js';
import { SessionCore } from '../../../edge/core/sessionCore.js';
import type { SharedSettings } from '../../../edge/core/settings.js';
import type { ShardPeer } from '../../../edge/core/shardApi.js';
import type { EmitOptions } from '../../../edge/events/eventSink.js';
import { Logger } from '../../../edge/log.js';
import type { HandleContext, Plugin, PluginMessage, PluginResult } from '../../../edge/plugins/plugin.js';
import type { CommandArgs, RelayClient, RelayRef } from '../../../edge/relays/relayClient.js';
import { WebSocketTransport, type HeldSocket } from '../../../edge/transports/websocket.js';

/**
 * An in-memory host for the session logic: storage in a Map, a clock the test moves, a relay client
 * and other shards that record what they are told. No workerd, no relay, no sockets.
 */
export class MemoryStorage implements ShardStorage {
  readonly data = new Map<string, unknown>();
  alarm: number | undefined;

  async get<T>(key: string): Promise<T | undefined> {
    return this.data.get(key) as T | undefined;
  }
  async list<T>(prefix: string): Promise<Map<string, T>> {
    return new Map([...this.data].filter(([k]) => k.startsWith(prefix)) as [string, T][]);
  }
  async put(entries: Record<string, unknown>): Promise<void> {
    for (const [k, v] of Object.entries(entries)) this.data.set(k, structuredClone(v));
  }
  async delete(keys: string[]): Promise<void> {
    for (const k of keys) this.data.delete(k);
  }
  async setAlarm(at: number): Promise<void> {
    this.alarm = at;
  }
}

export class RecordingRelays implements RelayClient {
  readonly commands: { relay: RelayRef; cmd: CommandArgs<CommandOp> }[] = [];
  /** Runs while the relay "works" on a command, before it answers (to race relay events against it). */
  during?: (cmd: CommandArgs<CommandOp>) => void;
  async command<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    this.commands.push({ relay, cmd });
    this.during?.(cmd);
    const result = cmd.op === 'peer.create' ? { answer: { type: 'answer', sdp: 'v=0\r\n' } } : {};
    return result as CommandResult<O>;
  }
  ops(op: CommandOp): CommandArgs<CommandOp>[] {
    return this.commands.filter((c) => c.cmd.op === op).map((c) => c.cmd);
  }
}

/** Another shard, as seen by RPC: it records the calls. */
export class RecordingShard implements ShardPeer {
  readonly calls: string[] = [];
  async janus(raw: Record<string, unknown>): Promise<JanusMessage> {
    this.calls.push(`janus ${String(raw.janus)}`);
    return { janus: 'success', data: { id: raw.id } };
  }
  async pushToConnection(connId: string): Promise<boolean> {
    this.calls.push(`push ${connId}`);
    return true;
  }
  async forgetRemote(connId: string, sessionId: number): Promise<void> {
    this.calls.push(`forget ${connId} ${sessionId}`);
  }
  async transportGone(sessionId: number, connId: string, shard: number): Promise<void> {
    this.calls.push(`gone ${sessionId} ${connId} ${shard}`);
  }
  /** Every connection asked about is alive unless listed in `dead`. */
  readonly dead = new Set<string>();
  async connectionsAlive(connIds: string[]): Promise<string[]> {
    this.calls.push(`alive? ${connIds.join(',')}`);
    return connIds.filter((id) => !this.dead.has(id));
  }
}

/** A plugin that records what the core tells it; `{request: "open"}` places a PeerConnection. */
export class RecordingPlugin implements Plugin {
  readonly info = {
    package: 'janus.plugin.echotest',
    name: 'recording',
    author: 'tests',
    description: 'records calls',
    version: 1,
    versionString: '1',
  };
  readonly calls: string[] = [];
  readonly contexts = new Map<number, HandleContext>();

  createHandle(ctx: HandleContext): void {
    this.contexts.set(ctx.handleId, ctx);
    this.calls.push(`create ${ctx.handleId}`);
  }
  async handleMessage(ctx: HandleContext, m: PluginMessage): Promise<PluginResult> {
    this.calls.push(`message ${ctx.handleId}`);
    if (m.body.request === 'open') {
      const res = await ctx.media.open(m.jsep ? { sdp: m.jsep.sdp } : undefined, {});
      return { kind: 'ok', data: { opened: true }, jsep: 'answer' in res ? res.answer : undefined };
    }
    if (m.body.request === 'later') {
      ctx.pushEvent({ result: 'done' }, undefined, m.transaction);
      return { kind: 'ack' };
    }
    if (m.body.request === 'address') return { kind: 'ok', data: { address: m.address ?? null } };
    if (m.body.request === 'remember') {
      ctx.setState(m.body.state);
      return { kind: 'ok', data: { remembered: true } };
    }
    return { kind: 'ok', data: { echo: m.body } };
  }
  /** The state each handle's context showed when its handle was destroyed (`remember` sets it). */
  readonly statesAtDestroy = new Map<number, unknown>();

  hangupMedia(ctx: HandleContext, reason: string): void {
    this.calls.push(`hangup ${ctx.handleId} ${reason}`);
  }
  destroyHandle(ctx: HandleContext): void {
    this.calls.push(`destroy ${ctx.handleId}`);
    this.statesAtDestroy.set(ctx.handleId, ctx.getState());
  }
  count(prefix: string): number {
    return this.calls.filter((c) => c.startsWith(prefix)).length;
  }
}

/** A socket held by the transport: what it was sent, and its attachment. */
export class TestSocket implements HeldSocket {
  readonly sent: JanusMessage[] = [];
  closedWith?: number;
  private attachment: unknown = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as JanusMessage);
  }
  close(code?: number): void {
    this.closedWith = code;
  }
  serializeAttachment(value: unknown): void {
    this.attachment = structuredClone(value);
  }
  deserializeAttachment(): unknown {
    return this.attachment;
  }
}

export const SHARD = 3;
export const SHARDS = 16;
export const OFFER = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n';

/** One shard's session logic on the in-memory host, with the WebSocket transport and admin ops. */
export class ShardHarness {
  readonly clock = new TestClock();
  readonly relays = new RecordingRelays();
  readonly plugin = new RecordingPlugin();
  readonly events: { type: number; event: Record<string, unknown>; opts?: EmitOptions }[] = [];
  readonly shards = new Map<number, RecordingShard>();
  readonly core: SessionCore;
  readonly ws: WebSocketTransport;
  readonly admin: AdminOps;
  readonly sockets: { ws: HeldSocket; tags: string[] }[] = [];
  readonly addresses: AddressAdmission;
  settings: SharedSettings = { version: 1, sessionTimeout: 60, acceptNewSessions: true, tokens: {} };
  /** How often this shard asked the coordinator for the settings. */
  settingsAsked = 0;
  private tx = 0;

  /** `storage` is a previous harness's to restart on what it wrote; `plugins` replace the recording one by package. */
  constructor(
    vars: EnvVars = {},
    readonly storage = new MemoryStorage(),
    plugins: Plugin[] = [],
  ) {
    const config = loadConfig({ SHARD_COUNT: String(SHARDS), LOG_LEVEL: 'silent', ...vars });
    const corePeer: CorePeer = {
      getSettings: async () => {
        this.settingsAsked++;
        return this.settings;
      },
      listRelays: async () => [],
      pickRelay: async (region) => ({
        relayId: 'relay-1',
        region: region ?? 'eu',
        address: '127.0.0.1',
        capacity: 100,
        load: 0,
        peers: 0,
        linkId: 'link-1',
      }),
      // The real per-address logic, recounting on this one shard.
      admit: (req) => this.addresses.admit(req, this.clock.now()),
    };
    this.addresses = new AddressAdmission(config.limits, async (_shard, address) =>
      peersOfAddress(this.core.sessions.values(), address),
    );
    const host: ShardHost = {
      storage: this.storage,
      clock: this.clock,
      relays: this.relays,
      events: { emit: (type, event, opts) => this.events.push({ type, event, opts }) },
      log: new Logger('silent', 'test'),
      shard: (n) => this.peer(n),
      core: () => corePeer,
      sendToConnection: (connId, m) => this.ws.send(connId, m),
    };
    const registry = new Map<string, Plugin>([this.plugin, ...plugins].map((p) => [p.info.package, p]));
    this.core = new SessionCore(host, config, registry);
    this.ws = new WebSocketTransport(
      host,
      {
        accept: (ws, tags) => this.sockets.push({ ws, tags }),
        tagged: (tag) => this.sockets.filter((s) => s.tags.includes(tag)).map((s) => s.ws),
      },
      this.core,
    );
    this.admin = new AdminOps(this.core, () => this.clock.now());
  }

  async start(): Promise<this> {
    await this.core.restore();
    await this.ws.restore();
    this.core.bindShard(SHARD);
    return this;
  }

  peer(n: number): RecordingShard {
    let p = this.shards.get(n);
    if (!p) this.shards.set(n, (p = new RecordingShard()));
    return p;
  }

  /** A Janus request over HTTP to this shard. */
  request(
    body: Record<string, unknown>,
    origin: Parameters<SessionCore['janus']>[1] = { kind: 'http' },
  ): Promise<JanusMessage> {
    return this.core.janus({ transaction: `t${++this.tx}`, ...body }, origin, SHARD);
  }

  async create(origin?: Parameters<SessionCore['janus']>[1]): Promise<number> {
    const r = await this.request({ janus: 'create' }, origin);
    return (r.data as { id: number }).id;
  }

  async attach(sessionId: number): Promise<number> {
    const r = await this.request({ janus: 'attach', session_id: sessionId, plugin: this.plugin.info.package });
    return (r.data as { id: number }).id;
  }

  /** Waits for queued microtasks (detached plugin calls, storage writes). */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}
