import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { RtspAuthenticator, type RtspCredentials } from './auth.js';

/** An RTSP response: status, headers (names lower case; repeated ones kept in order), body. */
export interface RtspResponse {
  status: number;
  reason: string;
  headers: Map<string, string[]>;
  body: string;
}

export const header = (r: RtspResponse, name: string) => r.headers.get(name)?.[0];

export class RtspError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface RtspConnectionOptions {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  credentials?: RtspCredentials;
  /** The local address the connection binds to (Janus `rtspiface`). */
  localAddress?: string;
}

const USER_AGENT = 'janus-edge-relay';
/** A response larger than this is not an RTSP server's: the connection is dropped. */
const MAX_BUFFERED = 256 * 1024;

/**
 * Why our own client: npm's `yellowstone` (2.1.0, the only maintained-looking RTSP client there) SETUPs
 * one track, only as RTP interleaved over TCP, and its Digest ignores `qop`; `rtsp-stream` only frames
 * the wire; the rest wrap ffmpeg. A mountpoint needs every track over UDP to ports of the relay's range.
 *
 * One RTSP/1.0 control connection (RFC 2326) over TCP (TLS for `rtsps:`): one request at a time,
 * answered in order and matched by CSeq, a 401 answered once with the credentials. Interleaved RTP
 * (`$` frames, RFC 2326 §10.12) goes to {@link onInterleaved} when the tracks were set up over TCP,
 * and is skipped otherwise.
 */
export class RtspConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private pending?: { cseq: number; resolve: (r: RtspResponse) => void; reject: (e: Error) => void };
  private readonly auth: RtspAuthenticator;
  private closedWith?: Error;
  private readonly closeListeners: Array<(err: Error) => void> = [];
  /** The session id SETUP returned, sent with every later request. */
  session?: string;
  /** Receives each interleaved frame: its channel and payload (a view of the read buffer: copy to keep it). */
  onInterleaved?: (channel: number, frame: Buffer) => void;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: RtspConnectionOptions,
  ) {
    this.auth = new RtspAuthenticator(opts.credentials);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new RtspError('RTSP connection closed')));
  }

  static open(url: URL, opts: RtspConnectionOptions): Promise<RtspConnection> {
    const secure = url.protocol.toLowerCase() === 'rtsps:';
    const port = Number(url.port || (secure ? 322 : 554));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const local = opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {};
      const socket = secure
        ? tlsConnect({ host, port, servername: host, ...local })
        : connect({ host, port, ...local });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RtspError(`RTSP connection to ${host}:${port} timed out`));
      }, opts.connectTimeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(new RtspError(`RTSP connection to ${host}:${port} failed: ${err.message}`));
      };
      socket.once('error', onError);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        resolve(new RtspConnection(socket, opts));
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Called once when the connection ends (closed by the server, an error, or {@link close}). */
  onClose(listener: (err: Error) => void): void {
    if (this.closedWith) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /** Sends a request; a 401 is answered once with the credentials. Rejects on a non-2xx status. */
  async request(method: string, uri: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    let res = await this.send(method, uri, headers);
    if (res.status === 401 && this.auth.challenge(res.headers.get('www-authenticate') ?? []))
      res = await this.send(method, uri, headers);
    if (res.status < 200 || res.status >= 300)
      throw new RtspError(`RTSP ${method} ${uri}: ${res.status} ${res.reason}`, res.status);
    return res;
  }

  private send(method: string, uri: string, headers: Record<string, string>): Promise<RtspResponse> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.pending) return Promise.reject(new RtspError('RTSP request already in flight'));
    const cseq = ++this.cseq;
    const all: Record<string, string> = { CSeq: String(cseq), 'User-Agent': USER_AGENT, ...headers };
    const authorization = this.auth.header(method, uri);
    if (authorization) all.Authorization = authorization;
    if (this.session) all.Session = this.session;
    const text = `${method} ${uri} RTSP/1.0\r\n${Object.entries(all)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new RtspError(`RTSP ${method} timed out`));
        this.close();
      }, this.opts.requestTimeoutMs);
      this.pending = {
        cseq,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(text);
    });
  }

  /** Sends one interleaved frame (RTCP to the server on a track's odd channel). */
  sendInterleaved(channel: number, data: Buffer): void {
    if (this.closedWith || data.length > 0xffff) return;
    const head = Buffer.from([0x24, channel, 0, 0]);
    head.writeUInt16BE(data.length, 2);
    this.socket.write(Buffer.concat([head, data]));
  }

  private onData(d: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, d]) : d;
    this.parse();
    // what is left is one incomplete message: interleaved frames are at most 64 KiB, responses small
    if (this.buffer.length > MAX_BUFFERED) this.fail(new RtspError('RTSP response too large'));
  }

  private parse(): void {
    for (;;) {
      if (this.closedWith) return;
      if (this.buffer.length === 0) return;
      if (this.buffer[0] === 0x24) {
        // an interleaved frame: '$', channel, 16-bit length
        if (this.buffer.length < 4) return;
        const end = 4 + this.buffer.readUInt16BE(2);
        if (this.buffer.length < end) return;
        const channel = this.buffer[1]!;
        const frame = this.buffer.subarray(4, end);
        this.buffer = this.buffer.subarray(end);
        // a copy: a keyframe buffer may keep the packet, and a view would pin the whole read chunk
        if (this.onInterleaved) this.onInterleaved(channel, Buffer.from(frame));
        continue;
      }
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const lines = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      const length = Number(headers.get('content-length')?.[0] ?? 0);
      const total = headEnd + 4 + length;
      if (this.buffer.length < total) return;
      const body = this.buffer.subarray(headEnd + 4, total).toString('utf8');
      this.buffer = this.buffer.subarray(total);
      const status = /^RTSP\/1\.\d (\d{3}) ?(.*)$/.exec(lines[0]!);
      // a request from the server (ANNOUNCE, GET_PARAMETER…) is not answered: nothing here needs one
      if (!status && /^[A-Z_]+ \S+ RTSP\/1\.0$/.test(lines[0]!)) continue;
      if (!status) return this.fail(new RtspError(`Not an RTSP response: ${lines[0]!.slice(0, 80)}`));
      const cseq = Number(headers.get('cseq')?.[0]);
      const p = this.pending;
      if (p && cseq === p.cseq) {
        this.pending = undefined;
        p.resolve({ status: Number(status[1]), reason: status[2] ?? '', headers, body });
      }
    }
  }

  private fail(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.socket.destroy();
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
    for (const l of this.closeListeners.splice(0)) l(err);
  }

  close(): void {
    this.fail(new RtspError('RTSP connection closed by us'));
  }
}
