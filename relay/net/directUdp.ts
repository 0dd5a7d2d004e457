import type { Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import { loadKoffi } from '../srtp/libcrypto.js';

/**
 * Datagrams sent with sendto(2) on a dgram socket's own file descriptor, through koffi (Linux). The
 * relay's media hot path sends one datagram per packet per subscriber: `dgram.send` resolves the
 * address (deferred to the next tick even for an IP literal), wraps the buffer in a send request and
 * goes through libuv; a direct call is one syscall with a destination preallocated per path and
 * nothing allocated per packet, and since it is synchronous the caller's buffer is free again when
 * it returns (the protectors' reused output buffers need no copy). Several packets for one socket in
 * one turn (NACK retransmission bursts) go out in one sendmmsg(2) (see {@link holdSends}).
 *
 * Order: a direct send leaves at once, while `dgram.send` (werift's DTLS, STUN, RTCP on the same
 * socket) leaves on the next tick, so a direct datagram may overtake one that was handed to dgram
 * earlier in the same turn. That only ever reorders datagrams of different protocols on the
 * transport, which receivers demultiplex anyway. Among a path's own packets order is kept: when
 * the kernel refuses one (EAGAIN / ENOBUFS: the socket buffer is full) it goes through `dgram.send`
 * (libuv queues it until the socket drains) and so does every later packet of that socket until
 * libuv reports those sent; without koffi, a file descriptor, or for a destination that is not an
 * IP literal (zone ids, names), every packet takes `dgram.send`.
 */

interface Libc {
  sendto(fd: number, buf: Buffer, length: number, flags: number, addr: number, addrLength: number): number;
  sendmmsg(fd: number, msgs: number, count: number, flags: number): number;
  errno(): number;
  address(buf: Buffer): number;
  EAGAIN: number;
  ENOBUFS: number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | undefined {
  if (libc !== undefined) return libc ?? undefined;
  libc = null;
  const koffi = loadKoffi();
  if (!koffi || process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) return undefined;
  if (process.env.RELAY_UDP_SEND === 'dgram') return undefined;
  try {
    const lib = koffi.load('libc.so.6');
    const P = 'uintptr_t';
    const sendto = lib.func('sendto', 'intptr_t', ['int', 'const uint8_t *', 'size_t', 'int', P, 'uint32_t']);
    const sendmmsg = lib.func('sendmmsg', 'int', ['int', P, 'unsigned int', 'int']);
    libc = {
      sendto: sendto as Libc['sendto'],
      sendmmsg: sendmmsg as Libc['sendmmsg'],
      errno: () => koffi.errno(),
      address: (buf) => Number(koffi.address(buf)),
      EAGAIN: koffi.os.errno.EAGAIN!,
      ENOBUFS: koffi.os.errno.ENOBUFS!,
    };
  } catch {
    libc = null;
  }
  return libc ?? undefined;
}

/** Datagrams of every path since start: sent directly, through dgram, dropped on a kernel error. */
export const udpSendTotals = { direct: 0, viaDgram: 0, dropped: 0 };

/** Whether datagrams leave through direct syscalls in this process (else `dgram.send`). */
export function directUdpAvailable(): boolean {
  return loadLibc() !== undefined;
}

/** dgram keeps its libuv handle behind a symbol: `Socket.prototype._handle` is deprecated (DEP0112, a warning on use). */
let stateSymbol: symbol | undefined;
interface DgramState {
  handle: { fd?: number } | null;
}
function dgramState(socket: Socket): DgramState | undefined {
  stateSymbol ??= Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  return stateSymbol
    ? ((socket as unknown as Record<symbol, DgramState | undefined>)[stateSymbol] ?? undefined)
    : undefined;
}

/** Per socket, shared by its paths: packets handed to dgram after a refused direct send, still in libuv's queue. */
interface Fallbacks {
  pending: number;
}
const fallbacksBySocket = new WeakMap<Socket, Fallbacks>();
function fallbacksOf(socket: Socket): Fallbacks {
  let f = fallbacksBySocket.get(socket);
  if (!f) fallbacksBySocket.set(socket, (f = { pending: 0 }));
  return f;
}

/**
 * One destination on one socket: the sockaddr built once, and the socket's descriptor read once
 * (valid while the socket's libuv handle is the one it was read from: a closed socket's number may
 * be reused by another file, so every send checks the handle first).
 */
export class UdpPath {
  private readonly sockaddr: Buffer;
  private readonly sockaddrAt: number;
  private readonly sockaddrLength: number;
  private readonly state: DgramState | undefined;
  private readonly handle: object | null = null;
  private readonly fd: number = -1;
  readonly fallbacks: Fallbacks;
  /** Datagrams that left directly, through dgram, and that were dropped (kernel errors other than a full buffer). */
  direct = 0;
  viaDgram = 0;
  dropped = 0;

  constructor(
    readonly socket: Socket,
    readonly host: string,
    readonly port: number,
  ) {
    this.sockaddr = Buffer.from(new ArrayBuffer(28));
    this.sockaddrLength = writeSockaddr(this.sockaddr, (socket as unknown as { type: string }).type, host, port);
    const lc = loadLibc();
    this.sockaddrAt = lc && this.sockaddrLength > 0 ? lc.address(this.sockaddr) : 0;
    this.fallbacks = fallbacksOf(socket);
    this.state = dgramState(socket);
    const handle = this.state?.handle;
    const fd = handle?.fd;
    if (lc && this.sockaddrAt && handle && typeof fd === 'number' && fd >= 0) {
      this.handle = handle;
      this.fd = fd;
    }
  }

  /** Whether this path's datagrams can leave directly (koffi, a descriptor, an IP literal of the socket's family). */
  get directCapable(): boolean {
    return this.fd >= 0;
  }

  /**
   * Sends `data[0 .. length]`. `reused`: the caller overwrites `data` after this returns (a
   * protector's output), so a datagram that has to wait in dgram's queue is copied first.
   */
  send(data: Buffer, length: number, reused: boolean): void {
    const socket = this.socket;
    if (this.fd >= 0 && this.state!.handle === this.handle && this.handle !== null) {
      if (this.fallbacks.pending === 0) {
        if (held > 0) {
          batch.add(this, data, length);
          return;
        }
        if (libc!.sendto(this.fd, data, length, 0, this.sockaddrAt, this.sockaddrLength) >= 0) {
          this.direct++;
          udpSendTotals.direct++;
          return;
        }
        if (!this.refused()) return;
      }
    } else if (this.handle !== null) return; // the socket closed under us
    this.viaDgram++;
    udpSendTotals.viaDgram++;
    const datagram = reused || length !== data.length ? Buffer.from(data.subarray(0, length)) : data;
    if (!this.directCapable) {
      socket.send(datagram, this.port, this.host);
      return;
    }
    const fallbacks = this.fallbacks;
    fallbacks.pending++;
    socket.send(datagram, this.port, this.host, () => {
      fallbacks.pending--;
    });
  }

  /** After a failed direct send: true to queue it in dgram (full buffer), false when dropped. */
  refused(): boolean {
    const e = libc!.errno();
    if (e === libc!.EAGAIN || e === libc!.ENOBUFS) return true;
    this.dropped++;
    udpSendTotals.dropped++;
    return false;
  }

  /** For a batched send: the descriptor, its sockaddr, and whether the socket is still the one read. */
  get target(): { fd: number; at: number; length: number } | undefined {
    return this.fd >= 0 && this.state!.handle === this.handle
      ? { fd: this.fd, at: this.sockaddrAt, length: this.sockaddrLength }
      : undefined;
  }
}

/** Writes a sockaddr_in / sockaddr_in6 for an IP literal of the socket's family; 0 when there is none. */
export function writeSockaddr(out: Buffer, type: string, host: string, port: number): number {
  if (type === 'udp4' && isIPv4(host)) {
    out.fill(0, 0, 16);
    out.writeUInt16LE(2, 0); // AF_INET, host order
    out.writeUInt16BE(port, 2);
    const parts = host.split('.');
    for (let i = 0; i < 4; i++) out[4 + i] = Number(parts[i]);
    return 16;
  }
  if (type === 'udp6' && isIPv6(host) && !host.includes('%')) {
    const words = ipv6Words(host);
    if (!words) return 0;
    out.fill(0, 0, 28);
    out.writeUInt16LE(10, 0); // AF_INET6 (Linux), host order
    out.writeUInt16BE(port, 2);
    for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i]!, 8 + i * 2);
    return 28;
  }
  return 0;
}

/** The eight 16-bit groups of an IPv6 literal (`::` and a dotted IPv4 tail allowed), or undefined. */
function ipv6Words(host: string): number[] | undefined {
  let text = host;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const b = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const words = [...left, ...new Array<number>(fill).fill(0), ...right];
  return words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}

// ---- batches: sendmmsg(2) ----------------------------------------------------------------------

let held = 0;

/**
 * Packets sent between {@link holdSends} and the matching {@link releaseSends} are copied aside and
 * leave together, one sendmmsg(2) per run of packets on one socket, in order. For a burst (NACK
 * retransmissions): one syscall instead of one per packet.
 */
export function holdSends(): void {
  held++;
}

export function releaseSends(): void {
  if (held > 0 && --held === 0) batch.flush();
}

const MMSG = 64; // struct mmsghdr on LP64 Linux: msghdr (56) + msg_len (4) + padding
const IOV = 16;
const MAX_BATCH = 64;
const ARENA = 64 * 1536;

class Batch {
  private arena = Buffer.alloc(0);
  private arenaAt = 0;
  private used = 0;
  private headers = Buffer.alloc(0);
  private headersAt = 0;
  private iovs = Buffer.alloc(0);
  private iovsAt = 0;
  private readonly paths: UdpPath[] = [];
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];

  private ensure(lc: Libc): void {
    if (this.arena.length) return;
    this.arena = Buffer.from(new ArrayBuffer(ARENA));
    this.headers = Buffer.from(new ArrayBuffer(MMSG * MAX_BATCH));
    this.iovs = Buffer.from(new ArrayBuffer(IOV * MAX_BATCH));
    this.arenaAt = lc.address(this.arena);
    this.headersAt = lc.address(this.headers);
    this.iovsAt = lc.address(this.iovs);
  }

  add(path: UdpPath, data: Buffer, length: number): void {
    this.ensure(libc!);
    if (this.paths.length === MAX_BATCH || this.used + length > ARENA) this.flush();
    if (length > ARENA) {
      held--;
      path.send(data, length, true);
      held++;
      return;
    }
    data.copy(this.arena, this.used, 0, length);
    this.paths.push(path);
    this.offsets.push(this.used);
    this.lengths.push(length);
    this.used += (length + 7) & ~7;
  }

  flush(): void {
    const n = this.paths.length;
    let i = 0;
    while (i < n) {
      const path = this.paths[i]!;
      let j = i + 1;
      while (j < n && this.paths[j]!.socket === path.socket) j++;
      i = this.sendRun(i, j);
    }
    this.paths.length = 0;
    this.offsets.length = 0;
    this.lengths.length = 0;
    this.used = 0;
  }

  /** Sends packets [from, to) of one socket; returns `to`. */
  private sendRun(from: number, to: number): number {
    const t = this.paths[from]!.target;
    let sent = 0;
    if (t && this.paths[from]!.fallbacks.pending === 0) {
      for (let k = from; k < to; k++) {
        const m = (k - from) * MMSG;
        const v = (k - from) * IOV;
        const p = this.paths[k]!.target!;
        writePointer(this.headers, m, p.at);
        this.headers.writeUInt32LE(p.length, m + 8);
        writePointer(this.headers, m + 16, this.iovsAt + v);
        writePointer(this.headers, m + 24, 1);
        writePointer(this.headers, m + 32, 0);
        writePointer(this.headers, m + 40, 0);
        this.headers.writeUInt32LE(0, m + 48);
        writePointer(this.iovs, v, this.arenaAt + this.offsets[k]!);
        writePointer(this.iovs, v + 8, this.lengths[k]!);
      }
      const r = libc!.sendmmsg(t.fd, this.headersAt, to - from, 0);
      sent = r > 0 ? r : 0;
      for (let k = from; k < from + sent; k++) this.paths[k]!.direct++;
      udpSendTotals.direct += sent;
      if (r < 0 && !this.paths[from]!.refused()) return to;
    }
    // what the kernel did not take goes through dgram, in order (held is 0 while flushing)
    const h = held;
    held = 0;
    for (let k = from + sent; k < to; k++)
      sendVia(this.paths[k]!, this.arena.subarray(this.offsets[k]!, this.offsets[k]! + this.lengths[k]!));
    held = h;
    return to;
  }
}

function sendVia(path: UdpPath, datagram: Buffer): void {
  path.send(datagram, datagram.length, true);
}

function writePointer(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value % 0x100000000, offset);
  buf.writeUInt32LE(Math.floor(value / 0x100000000), offset + 4);
}

const batch = new Batch();
