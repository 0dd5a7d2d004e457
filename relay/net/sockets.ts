import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PortPool } from './ports.js';

/**
 * UDP sockets on the relay's media port range (RELAY_REMOTE_PORT_MIN..MAX): the RTP and RTCP sockets
 * of remote publishers and of RTP forwarders (rtp_forward, publish_remotely, cascades) all come from
 * one pool, so a deployment opens exactly the ports it configured, and every port returns to the
 * pool when its socket closes.
 */

/** Janus's VideoRoom "unknown error", for every socket failure of remote publishers and forwarders. */
export const FORWARD_SOCKET_ERROR = 499;
export const FORWARD_SOCKET_REASON = 'Could not open UDP socket for RTP stream';

export type PooledSocketKind = 'remote publisher' | 'forwarder' | 'audiobridge participant' | 'streaming mountpoint';
const open: Record<PooledSocketKind, number> = {
  'remote publisher': 0,
  forwarder: 0,
  'audiobridge participant': 0,
  'streaming mountpoint': 0,
};

/** Streaming mountpoints' RTP/RTCP sockets open in this process. */
export function streamingSocketCount(): number {
  return open['streaming mountpoint'];
}

/** Remote-publisher sockets open in this process. */
export function remoteSocketCount(): number {
  return open['remote publisher'];
}

/** Plain-RTP AudioBridge participants' sockets open in this process. */
export function audioBridgeSocketCount(): number {
  return open['audiobridge participant'];
}

/** Forwarder sockets (RTP and RTCP) open in this process. */
export function forwarderSocketCount(): number {
  return open.forwarder;
}

function bindOnce(s: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      resolve();
    });
  });
}

function track(s: Socket, kind: PooledSocketKind, release: () => void, log?: Logger): Socket {
  open[kind]++;
  s.once('close', () => {
    open[kind]--;
    release();
  });
  // late ICMP errors and failed sends must not crash the process
  s.on('error', (err) => log?.debug(`${kind} socket error`, { err: err.message }));
  return s;
}

export interface PooledSocketOptions {
  kind: PooledSocketKind;
  /** Exactly this port (Janus: 0 or missing = pick one from the pool). */
  port?: number;
  /** dgram's `lookup` (forwarders resolve hosts once, up front). */
  lookup?: SocketOptions['lookup'];
}

/**
 * A UDP socket on a port of `pool`, or on exactly `opts.port` when one is given. The port returns to
 * the pool when the socket closes. Ports another process holds are parked and skipped. 499 when
 * nothing could be bound, as Janus.
 */
export async function openPooledSocket(
  pool: PortPool,
  bindAddress: string,
  log: Logger | undefined,
  opts: PooledSocketOptions,
): Promise<Socket> {
  const { kind, port } = opts;
  const fail = (why: string, extra: Record<string, unknown> = {}) => {
    log?.warn(`could not open a ${kind} socket`, { why, ...extra });
    return new RelayError(FORWARD_SOCKET_ERROR, FORWARD_SOCKET_REASON);
  };
  // an IPv6 bind address (a Streaming `rtspiface`) needs an IPv6 socket
  const type = isIPv6(bindAddress) ? 'udp6' : 'udp4';
  const make = () => createSocket({ type, ...(opts.lookup ? { lookup: opts.lookup } : {}) });
  if (port) {
    const pooled = pool.take(port);
    if (!pooled && pool.contains(port)) throw fail('port in use', { port });
    const s = make();
    try {
      await bindOnce(s, port, bindAddress);
    } catch (err) {
      s.close();
      if (pooled) pool.release(port);
      throw fail('bind failed', { port, err: (err as Error).message });
    }
    return track(s, kind, () => pooled && pool.release(port), log);
  }
  for (let attempt = 0; attempt < pool.size; attempt++) {
    const p = pool.acquire();
    if (p === undefined) break;
    const s = make();
    try {
      await bindOnce(s, p, bindAddress);
    } catch (err) {
      s.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        pool.markForeign(p);
        continue;
      }
      pool.release(p);
      throw fail('bind failed', { port: p, err: (err as Error).message });
    }
    return track(s, kind, () => pool.release(p), log);
  }
  throw fail(`no free port in ${pool.min}-${pool.max}`);
}

/** Hosts are resolved when a forwarder is created; sends never wait for a lookup. */
const resolvedLookup = (
  host: string,
  _family: unknown,
  cb: (err: Error | null, address: string, family: number) => void,
): void => cb(null, host, 4);

/** A forwarder socket on a port of the relay's media range (`pool`); 499 when none can be bound. */
export function openForwardSocket(pool: PortPool, bindAddress: string, log?: Logger): Promise<Socket> {
  return openPooledSocket(pool, bindAddress, log, { kind: 'forwarder', lookup: resolvedLookup as never });
}

export function closeQuietly(s: Socket | undefined): void {
  try {
    s?.close();
  } catch {
    // already closed
  }
}
