import { createSocket, type Socket } from 'node:dgram';
import { RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../ports.js';
import { FORWARD_SOCKET_ERROR, FORWARD_SOCKET_REASON } from '../sfu/forward.js';

let openSockets = 0;

/** Remote-publisher sockets open in this process. */
export function remoteSocketCount(): number {
  return openSockets;
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

function track(s: Socket, release: () => void, log: Logger): Socket {
  openSockets++;
  s.once('close', () => {
    openSockets--;
    release();
  });
  // late ICMP errors and failed sends must not crash the process
  s.on('error', (err) => log.debug('remote publisher socket error', { err: err.message }));
  return s;
}

/**
 * A UDP socket on a port of `pool` (the remote-publisher range), or on exactly `port` when one is
 * given (Janus: 0 or missing = pick one). The port returns to the pool when the socket closes.
 * Ports another process holds are parked and skipped. 499 when nothing could be bound, as Janus.
 */
export async function openPooledSocket(pool: PortPool, bindAddress: string, log: Logger, port?: number): Promise<Socket> {
  const fail = (why: string, extra: Record<string, unknown> = {}) => {
    log.warn('could not open a remote publisher socket', { why, ...extra });
    return new RelayError(FORWARD_SOCKET_ERROR, FORWARD_SOCKET_REASON);
  };
  if (port) {
    const pooled = pool.take(port);
    if (!pooled && pool.contains(port)) throw fail('port in use', { port });
    const s = createSocket('udp4');
    try {
      await bindOnce(s, port, bindAddress);
    } catch (err) {
      s.close();
      if (pooled) pool.release(port);
      throw fail('bind failed', { port, err: (err as Error).message });
    }
    return track(s, () => pooled && pool.release(port), log);
  }
  for (let attempt = 0; attempt < pool.size; attempt++) {
    const p = pool.acquire();
    if (p === undefined) break;
    const s = createSocket('udp4');
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
    return track(s, () => pool.release(p), log);
  }
  throw fail(`no free port in ${pool.min}-${pool.max}`);
}

export function closeQuietly(s: Socket | undefined): void {
  try {
    s?.close();
  } catch {
    // already closed
  }
}
