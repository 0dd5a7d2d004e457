import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { checkBearer, computeProof } from '../../../shared/control/auth.js';
import type { CommandInput, CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { commandResultSchemas } from '../../../shared/control/commands.js';
import type { PeerEvent } from '../../../shared/control/events.js';
import {
  parseRelayMessage,
  type EdgeMessageInput,
  type EventMessage,
  type HeartbeatMessage,
  type RegisterMessage,
  type ReplyMessage,
} from '../../../shared/control/messages.js';

/**
 * The edge side of the control socket, for tests: accepts relays on /relay/connect, answers
 * `register` with a `welcome`, sends commands and collects replies, events and heartbeats. It speaks
 * the shared/control schemas and validates everything the relay sends.
 */
export interface TestEdgeOptions {
  secret: string;
  /** The secret used for the welcome proof (defaults to `secret`; set another to forge a bad proof). */
  proofSecret?: string;
  /** Don't answer register automatically. */
  manualWelcome?: boolean;
  /** The welcome's `handlerEvents` (absent: not sent, as an edge with event handlers does). */
  handlerEvents?: boolean;
}

export class RelayLink {
  register: RegisterMessage | undefined;
  readonly events: EventMessage[] = [];
  readonly heartbeats: HeartbeatMessage[] = [];
  readonly invalid: string[] = [];
  draining = false;
  closed = false;
  private readonly pending = new Map<string, (r: ReplyMessage) => void>();
  private readonly registered: Promise<RegisterMessage>;
  private waiters: Array<() => void> = [];
  private nextId = 1;

  constructor(
    readonly ws: WebSocket,
    private readonly edge: TestEdge,
  ) {
    let onRegister!: (m: RegisterMessage) => void;
    this.registered = new Promise((r) => (onRegister = r));
    ws.on('message', (data) => {
      const parsed = parseRelayMessage(data.toString());
      if (!parsed.ok) {
        this.invalid.push(`${parsed.reason}: ${data.toString().slice(0, 200)}`);
        return;
      }
      const m = parsed.message;
      switch (m.type) {
        case 'register':
          this.register = m;
          onRegister(m);
          if (!edge.options.manualWelcome) void this.welcome();
          break;
        case 'heartbeat':
          this.heartbeats.push(m);
          break;
        case 'reply':
          this.pending.get(m.id)?.(m);
          this.pending.delete(m.id);
          break;
        case 'event':
          this.events.push(m);
          break;
        case 'draining':
          this.draining = true;
          break;
      }
      this.notify();
    });
    ws.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  whenRegistered(): Promise<RegisterMessage> {
    return this.registered;
  }

  async welcome(proof?: string): Promise<void> {
    const reg = await this.registered;
    const p = proof ?? (await computeProof(this.edge.options.proofSecret ?? this.edge.options.secret, reg.nonce));
    const { handlerEvents } = this.edge.options;
    this.sendRaw({ type: 'welcome', proof: p, ...(handlerEvents === undefined ? {} : { handlerEvents }) });
  }

  sendRaw(msg: EdgeMessageInput | Record<string, unknown> | string): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Sends a frame and waits for the reply with `id` (for raw/invalid frames). */
  requestRaw(id: string, frame: unknown, timeoutMs = 10_000): Promise<ReplyMessage> {
    const reply = new Promise<ReplyMessage>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${id}`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
    this.sendRaw(typeof frame === 'string' ? frame : JSON.stringify(frame));
    return reply;
  }

  /** Sends a command; resolves with the reply (ok or not). */
  request(cmd: CommandInput | Record<string, unknown>, timeoutMs = 15_000): Promise<ReplyMessage> {
    const id = `c${this.nextId++}`;
    return this.requestRaw(id, { type: 'cmd', id, cmd }, timeoutMs);
  }

  /** Sends a command and returns its validated result; throws on an error reply. */
  async call<O extends CommandOp>(cmd: Extract<CommandInput, { op: O }>): Promise<CommandResult<O>> {
    const reply = await this.request(cmd);
    if (!reply.ok)
      throw Object.assign(new Error(`${cmd.op} failed: ${reply.error.code} ${reply.error.reason}`), {
        code: reply.error.code,
      });
    return commandResultSchemas[cmd.op].parse(reply.result) as CommandResult<O>;
  }

  /** Waits until `pred` holds (checked after each frame). */
  async until<T>(pred: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  eventsFor(sessionId: number, handleId: number): PeerEvent[] {
    return this.events.filter((e) => e.sessionId === sessionId && e.handleId === handleId).map((e) => e.event);
  }

  waitEvent<K extends PeerEvent['kind']>(
    sessionId: number,
    handleId: number,
    kind: K,
    pred: (e: Extract<PeerEvent, { kind: K }>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Extract<PeerEvent, { kind: K }>> {
    return this.until(
      () =>
        this.eventsFor(sessionId, handleId).find(
          (e): e is Extract<PeerEvent, { kind: K }> => e.kind === kind && pred(e as Extract<PeerEvent, { kind: K }>),
        ),
      timeoutMs,
      `${kind} event for ${sessionId}:${handleId}`,
    );
  }
}

export class TestEdge {
  readonly links: RelayLink[] = [];
  /** Upgrade attempts refused for a wrong bearer. */
  rejected = 0;
  private server!: Server;
  private wss!: WebSocketServer;
  private linkWaiters: Array<(l: RelayLink) => void> = [];
  port = 0;

  constructor(readonly options: TestEdgeOptions) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((_req, res) => res.writeHead(404).end());
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req: IncomingMessage, socket, head) => {
      if (req.url !== '/relay/connect' || !checkBearer(req.headers.authorization, this.options.secret)) {
        this.rejected++;
        // the refused relay may reset the connection before reading the answer: expected, not an error
        socket.on('error', () => undefined);
        socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const link = new RelayLink(ws, this);
        this.links.push(link);
        const w = this.linkWaiters;
        this.linkWaiters = [];
        for (const f of w) f(link);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The next relay connection (or the latest one if already there and `fresh` is false). */
  nextLink(fresh = false, timeoutMs = 10_000): Promise<RelayLink> {
    const open = this.links.filter((l) => !l.closed);
    if (!fresh && open.length) return Promise.resolve(open[open.length - 1]!);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no relay connected')), timeoutMs);
      this.linkWaiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
