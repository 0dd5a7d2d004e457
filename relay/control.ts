import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { bearer, createNonce, verifyProof } from '../shared/control/auth.js';
import type { Command } from '../shared/control/commands.js';
import { onlyForHandlers, type PeerEvent } from '../shared/control/events.js';
import {
  parseEdgeMessage,
  type HeartbeatMessage,
  type ListedPeer,
  type RelaySettings,
  type RelayMessageInput,
  type ReplyMessage,
} from '../shared/control/messages.js';
import { JanusError } from '../shared/janus/errors.js';
import { RelayError } from './errors.js';
import type { Logger } from './logger.js';
import type { Outcome } from './commands/context.js';

export interface ControlOptions {
  url: string;
  secret: string;
  heartbeatMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  logger: Logger;
  /** The register frame, minus type and nonce. */
  registration(): {
    relayId: string;
    region: string;
    address: string;
    capacity: number;
    load: number;
    ipv6?: boolean;
    iceTcp?: boolean;
  };
  heartbeat(): Omit<HeartbeatMessage, 'type'>;
  /** Every PeerConnection, for the edge's reconciliation (`listPeers`). */
  peers(): ListedPeer[];
  execute(cmd: Command): Promise<Outcome>;
  /** Relay-wide settings from the edge (`settings` message). */
  applySettings(s: RelaySettings): void;
}

type State = 'idle' | 'connecting' | 'awaiting-welcome' | 'ready' | 'closed';

/**
 * The relay's end of the control plane: a WebSocket held open to the edge, mutual authentication
 * (bearer secret out, HMAC proof of our nonce back), heartbeats, command dispatch, reconnection with
 * exponential backoff. No command runs before a valid `welcome` on the current socket.
 */
export class ControlConnection {
  private ws: WebSocket | undefined;
  private state: State = 'idle';
  private nonce = '';
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  /** Resolvers waiting for the next welcome (tests, startup). */
  private readyWaiters: Array<() => void> = [];
  welcomes = 0;
  /** Whether the edge wants the events only event handlers consume (its welcome says). */
  private handlerEvents = true;
  private inbound: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ControlOptions) {
    this.log = opts.logger.child({ component: 'control' });
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.connect();
  }

  /** Resolves once the edge has welcomed us (again). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  private connect(): void {
    this.state = 'connecting';
    this.nonce = createNonce();
    const ws = new WebSocket(this.opts.url, {
      headers: { authorization: bearer(this.opts.secret) },
      handshakeTimeout: 5000,
      maxPayload: 1024 * 1024,
    });
    this.ws = ws;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.state = 'awaiting-welcome';
      this.sendOn(ws, { type: 'register', version: 1, ...this.opts.registration(), nonce: this.nonce });
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      if (isBinary) {
        this.log.warn('ignoring binary control frame');
        return;
      }
      const text = data.toString();
      // Frames are classified in order (a welcome's async proof check finishes before the next
      // frame is looked at); commands then run concurrently.
      this.inbound = this.inbound
        .then(() => this.onFrame(ws, text))
        .catch((err) => this.log.error('control frame failed', { err }));
    });
    ws.on('unexpected-response', (_req, res) => {
      this.log.warn('edge refused the control socket', { status: res.statusCode });
      ws.terminate();
    });
    ws.on('error', (err) => {
      this.log.warn('control socket error', { err: err.message });
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.stopHeartbeat();
      if (this.state === 'closed') return;
      this.log.warn('control socket closed', { code, reason: reason.toString() });
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    this.state = 'idle';
    const base = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** this.attempt);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempt = Math.min(this.attempt + 1, 16);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'idle') this.connect();
    }, delay);
  }

  private async onFrame(ws: WebSocket, raw: string): Promise<void> {
    const parsed = parseEdgeMessage(raw);
    if (!parsed.ok) {
      if (parsed.id !== undefined) {
        this.reply(ws, {
          type: 'reply',
          id: parsed.id,
          ok: false,
          error: { code: parsed.code, reason: parsed.reason },
        });
      } else {
        this.log.warn('ignoring invalid control frame', { code: parsed.code, reason: parsed.reason });
      }
      return;
    }
    const msg = parsed.message;
    if (msg.type === 'welcome') {
      if (this.state !== 'awaiting-welcome') {
        this.log.warn('ignoring unexpected welcome');
        return;
      }
      const nonce = this.nonce;
      const ok = await verifyProof(this.opts.secret, nonce, msg.proof);
      if (this.ws !== ws || this.state !== 'awaiting-welcome') return;
      if (!ok) {
        this.log.error('edge sent a bad proof; dropping the control socket');
        ws.close(4003, 'bad proof');
        return;
      }
      this.state = 'ready';
      this.handlerEvents = msg.handlerEvents !== false;
      this.attempt = 0;
      this.welcomes++;
      this.log.info('control socket welcomed');
      this.startHeartbeat(ws);
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) w();
      return;
    }
    if (msg.type === 'settings') {
      if (this.state === 'ready' && this.ws === ws) {
        const { type: _t, ...settings } = msg;
        this.opts.applySettings(settings);
        this.log.info('settings from the edge', settings);
      }
      return;
    }
    if (msg.type === 'listPeers') {
      if (this.state === 'ready' && this.ws === ws) this.sendOn(ws, { type: 'peers', peers: this.opts.peers() });
      return;
    }
    // cmd
    if (this.state !== 'ready' || this.ws !== ws) {
      this.reply(ws, {
        type: 'reply',
        id: msg.id,
        ok: false,
        error: { code: JanusError.UNAUTHORIZED, reason: 'Unauthorized request (no welcome yet)' },
      });
      return;
    }
    void this.run(ws, msg.id, msg.cmd);
  }

  private async run(ws: WebSocket, id: string, cmd: Command): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.opts.execute(cmd);
    } catch (err) {
      const code = err instanceof RelayError ? err.code : JanusError.UNKNOWN;
      const reason = err instanceof Error ? err.message : String(err);
      if (!(err instanceof RelayError)) this.log.error('command failed', { op: cmd.op, err });
      this.reply(ws, { type: 'reply', id, ok: false, error: { code, reason } });
      return;
    }
    this.reply(ws, { type: 'reply', id, ok: true, result: outcome.result });
    outcome.after?.();
  }

  private reply(ws: WebSocket, msg: ReplyMessage): void {
    this.sendOn(ws, msg);
  }

  private sendOn(ws: WebSocket, msg: RelayMessageInput): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    this.corkForThisTick(ws);
    ws.send(JSON.stringify(msg));
    return true;
  }

  /**
   * Frames sent in one turn of the event loop leave in one write: a reply and the events that follow
   * it, or one event for each of a room's subscribers, cost one system call instead of one each.
   */
  private corkForThisTick(ws: WebSocket): void {
    // ws keeps its TCP socket in `_socket`; it corks it only around one frame, so a corked socket here
    // is one this turn already corked.
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    if (!socket || socket.writableCorked > 0) return;
    socket.cork();
    process.nextTick(() => socket.uncork());
  }

  /** Sends a peer event if the edge is connected and has welcomed us (dropped otherwise). */
  sendEvent(sessionId: number, handleId: number, event: PeerEvent): void {
    const ws = this.ws;
    if (!ws || this.state !== 'ready') {
      this.log.debug('dropping event while disconnected', { kind: event.kind });
      return;
    }
    if (!this.handlerEvents && onlyForHandlers(event)) return;
    this.sendOn(ws, { type: 'event', sessionId, handleId, event });
  }

  private startHeartbeat(ws: WebSocket): void {
    this.stopHeartbeat();
    const beat = () => {
      if (this.ws === ws && this.state === 'ready') this.sendOn(ws, { type: 'heartbeat', ...this.opts.heartbeat() });
    };
    beat();
    this.heartbeatTimer = setInterval(beat, this.opts.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Tells the edge we are draining (no new peers). */
  sendDraining(): void {
    if (this.ws && this.state === 'ready') this.sendOn(this.ws, { type: 'draining' });
  }

  /** Closes the socket for good and waits for it to be gone. */
  async close(): Promise<void> {
    this.state = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1001, 'relay shutting down');
    });
  }
}
