import type { Socket } from 'node:dgram';
import { UdpTransport } from 'werift';
import type { Logger } from '../logger.js';

/**
 * ICE port accounting.
 *
 * werift's own `icePortRange` support probes the range linearly with bind/close on every new socket
 * and then binds again (a race between concurrent PeerConnections, and an unhandled `error` event —
 * a process crash — when it loses), and its UDP sockets have no `error` listener at all. So the relay
 * registers a {@link PortPool} for its range and {@link installPortAllocator} routes every werift
 * UDP socket created with exactly that `icePortRange` through it: the port comes from the pool,
 * EADDRINUSE moves on to the next free port, an `error` listener is attached, and the port returns to
 * the pool when the socket closes. Sockets created with any other (or no) range are untouched.
 */
export class PortPool {
  private readonly free: number[] = [];
  private readonly used = new Set<number>();
  /** Ports some other process holds (EADDRINUSE); retried later. */
  private readonly foreign = new Set<number>();

  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min > 0 && min < max && max <= 65535)) {
      throw new Error(`invalid port range ${min}-${max}`);
    }
    for (let p = min; p <= max; p++) this.free.push(p);
  }

  get size(): number {
    return this.max - this.min + 1;
  }
  get inUse(): number {
    return this.used.size;
  }
  /** Ports that may be handed out (including ones parked as foreign, which are retried last). */
  get available(): number {
    return this.free.length + this.foreign.size;
  }
  ports(): number[] {
    return [...this.used].sort((a, b) => a - b);
  }
  contains(port: number): boolean {
    return port >= this.min && port <= this.max;
  }

  /** Takes the least recently released free port (FIFO, so a just-closed port is not reused at once). */
  acquire(): number | undefined {
    if (this.free.length === 0) this.recycleForeign();
    const port = this.free.shift();
    if (port !== undefined) this.used.add(port);
    return port;
  }

  /** Takes one given port (an explicitly requested one); false when it is in use. */
  take(port: number): boolean {
    if (!this.contains(port) || this.used.has(port)) return false;
    const i = this.free.indexOf(port);
    if (i >= 0) this.free.splice(i, 1);
    else this.foreign.delete(port);
    this.used.add(port);
    return true;
  }

  release(port: number): void {
    if (!this.used.delete(port)) return;
    this.free.push(port);
  }

  /** The port is held by someone else: park it until the pool runs dry. */
  markForeign(port: number): void {
    if (!this.used.delete(port)) return;
    this.foreign.add(port);
  }

  private recycleForeign(): void {
    for (const p of this.foreign) this.free.push(p);
    this.foreign.clear();
  }
}

interface UdpTransportInternals {
  socket: Socket;
  socketType: 'udp4' | 'udp6';
  options: {
    portRange?: [number, number];
    port?: number;
    interfaceAddresses?: Partial<Record<'udp4' | 'udp6', string>>;
  };
}

const pools = new Map<string, { pool: PortPool; logger: Logger }>();
const rangeKey = (r: readonly [number, number]) => `${r[0]}-${r[1]}`;
let installed = false;

function bindOnce(socket: Socket, port: number, address: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ port, address });
  });
}

function patchUdpTransport(): void {
  if (installed) return;
  installed = true;
  const proto = UdpTransport.prototype as unknown as { init(this: UdpTransportInternals): Promise<void> };
  const originalInit = proto.init;
  proto.init = async function patchedInit(this: UdpTransportInternals) {
    const range = this.options.portRange;
    const entry = range && !this.options.port ? pools.get(rangeKey(range)) : undefined;
    if (!entry) return originalInit.call(this);
    const { pool, logger } = entry;
    const socket = this.socket;
    // Never let a socket error (late ICMP, send failure) become an uncaught exception.
    socket.on('error', (err) => logger.warn('ICE socket error', { err: err.message }));
    const address = this.options.interfaceAddresses?.[this.socketType];
    for (let attempt = 0; attempt < pool.size; attempt++) {
      const port = pool.acquire();
      if (port === undefined) break;
      try {
        await bindOnce(socket, port, address);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES') {
          pool.markForeign(port);
          continue;
        }
        pool.release(port);
        throw err;
      }
      socket.once('close', () => pool.release(port));
      return;
    }
    throw new Error(`no free ICE port in ${rangeKey(range!)}`);
  };
}

/** Routes werift sockets created with `icePortRange: [pool.min, pool.max]` through `pool`. */
export function installPortAllocator(pool: PortPool, logger: Logger): () => void {
  patchUdpTransport();
  const key = rangeKey([pool.min, pool.max]);
  if (pools.has(key)) throw new Error(`ICE port range ${key} is already managed by another relay in this process`);
  pools.set(key, { pool, logger });
  return () => {
    if (pools.get(key)?.pool === pool) pools.delete(key);
  };
}
