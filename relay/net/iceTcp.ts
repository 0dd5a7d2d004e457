import { createServer, isIP, type Server, type Socket } from 'node:net';
import { classes, methods, parseMessage } from 'werift';
import type { Logger } from '../logger.js';

/**
 * ICE-TCP (RFC 6544) for every PeerConnection of the relay on ONE listening port
 * (RELAY_ICE_TCP_PORT), for clients that cannot use UDP and have no TURN. Each peer advertises a
 * passive TCP candidate on this port (relay/peer/iceSetup.ts); a client connects and its first
 * RFC 4571 frame is a STUN binding request whose USERNAME begins with the ufrag of the peer it
 * checks, so the connection goes to the endpoint registered for that ufrag, which takes the socket
 * and the bytes read so far. A connection that names no known ufrag, sends something else, or says
 * nothing for {@link FIRST_FRAME_TIMEOUT_MS} is closed.
 */
export interface IceTcpEndpoint {
  /** Whether `ufrag` is this peer's current local ICE username fragment. */
  matches(ufrag: string): boolean;
  /** Takes the connection over; `firstBytes` were read from it already. */
  adopt(socket: Socket, firstBytes: Buffer): void;
}

export const FIRST_FRAME_TIMEOUT_MS = 10_000;
/** Connections still to say which peer they are for; more are refused (a flood must not hold memory). */
const MAX_PENDING = 256;
/** A STUN binding request is far smaller; anything longer is not one. */
const MAX_FIRST_FRAME = 1500;

export class IceTcpListener {
  private readonly servers: Server[] = [];
  private readonly endpoints = new Set<IceTcpEndpoint>();
  private readonly pending = new Set<Socket>();
  private readonly families = new Set<number>();
  port = 0;
  /** Connections handed to a peer, and connections closed unrouted. */
  readonly totals = { adopted: 0, refused: 0 };

  constructor(private readonly log: Logger) {}

  /** Listens on `port` (0: any) on every address, the same port on each; resolves with the port. */
  async listen(port: number, addresses: readonly string[]): Promise<number> {
    for (const address of addresses) {
      const server = createServer((socket) => this.accept(socket));
      server.on('error', (err) => this.log.warn('ICE-TCP listener error', { err: err.message }));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port: this.port || port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
      this.families.add(isIP(address));
      const bound = server.address();
      if (bound && typeof bound === 'object') this.port = bound.port;
    }
    return this.port;
  }

  /** Whether a peer bound to `address` can advertise this listener (it listens on that family). */
  serves(address: string): boolean {
    return this.servers.length > 0 && this.families.has(isIP(address));
  }

  /** Routes connections for `endpoint`'s ufrag to it until the returned function is called. */
  register(endpoint: IceTcpEndpoint): () => void {
    this.endpoints.add(endpoint);
    return () => void this.endpoints.delete(endpoint);
  }

  get endpointCount(): number {
    return this.endpoints.size;
  }

  async close(): Promise<void> {
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }

  private accept(socket: Socket): void {
    if (this.pending.size >= MAX_PENDING) {
      this.refuse(socket, 'too many pending connections');
      return;
    }
    this.pending.add(socket);
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    const done = () => {
      this.pending.delete(socket);
      socket.off('data', onData);
      socket.setTimeout(0);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (length > MAX_FIRST_FRAME) {
        done();
        this.refuse(socket, 'first frame too long');
        return;
      }
      if (buffered.length < 2 + length) return;
      done();
      const endpoint = this.route(buffered.subarray(2, 2 + length));
      if (!endpoint) {
        this.refuse(socket, 'no peer for this binding request');
        return;
      }
      this.totals.adopted++;
      endpoint.adopt(socket, buffered);
    };
    socket.on('data', onData);
    socket.on('error', (err) => this.log.debug('ICE-TCP socket error', { err: err.message }));
    socket.once('close', () => this.pending.delete(socket));
    socket.setTimeout(FIRST_FRAME_TIMEOUT_MS, () => {
      done();
      this.refuse(socket, 'no binding request in time');
    });
  }

  /** The endpoint whose ufrag the binding request names as the receiver's (USERNAME = "ours:theirs"). */
  private route(frame: Buffer): IceTcpEndpoint | undefined {
    let username: unknown;
    try {
      const message = parseMessage(frame);
      if (!message || message.messageMethod !== methods.BINDING || message.messageClass !== classes.REQUEST) return;
      username = message.getAttributeValue('USERNAME');
    } catch {
      return undefined;
    }
    if (typeof username !== 'string') return undefined;
    const ufrag = username.split(':')[0] ?? '';
    for (const e of this.endpoints) if (e.matches(ufrag)) return e;
    return undefined;
  }

  private refuse(socket: Socket, why: string): void {
    this.totals.refused++;
    this.log.debug('ICE-TCP connection refused', { why, from: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.destroy();
  }
}
