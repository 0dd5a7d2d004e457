import type { Logger } from '../../logger.js';
import type { RtspCredentials } from './auth.js';
import { header, RtspConnection, RtspError } from './connection.js';
import { parseRtspSdp, type RtspTrack } from './sdp.js';

export interface RtspSourceOptions {
  url: string;
  credentials?: RtspCredentials;
  /** After a 404, DESCRIBE the path alone (Janus `rtsp_quirk`). */
  quirk: boolean;
  reconnectDelayMs: number;
  /** Caps the server's session timeout for the keepalive (0: the server's). */
  sessionTimeoutS: number;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** The local address the RTSP connection binds to (Janus `rtspiface`). */
  localAddress?: string;
  /** `udp` to the ports, `tcp` interleaved, `auto` UDP then TCP once the server answers 461. */
  transport: 'auto' | 'udp' | 'tcp';
  /** Each RTP packet of track `index` that came interleaved on the RTSP connection. */
  onInterleavedRtp: (index: number, packet: Buffer) => void;
}

/** Where one track's RTP and RTCP are received. */
export interface RtspPorts {
  rtp: number;
  rtcp: number;
}

/** RTSP 461 Unsupported Transport: the server wants another lower transport (here, TCP). */
const UNSUPPORTED_TRANSPORT = 461;

/** The server's default session timeout (RFC 2326 12.37). */
const DEFAULT_SESSION_TIMEOUT_S = 60;

/** Which of the described tracks to take: the first of each kind wanted, audio first (Janus's order). */
export function pickTracks(tracks: RtspTrack[], kinds: ReadonlyArray<'audio' | 'video'>): RtspTrack[] {
  return (['audio', 'video'] as const)
    .filter((k) => kinds.includes(k))
    .flatMap((k) => tracks.filter((t) => t.type === k).slice(0, 1));
}

/**
 * One RTSP source (Janus's `rtsp` mountpoint's client side): DESCRIBE, SETUP of each track with RTP
 * over UDP to the mountpoint's ports (or interleaved on the RTSP connection), PLAY, and a keepalive (GET_PARAMETER when the server lists it,
 * else OPTIONS) at half the session timeout. When no media arrived for the reconnect delay, it tears
 * the session down and starts a new one to the same ports, again every delay until it works; stop()
 * sends TEARDOWN and closes everything.
 */
export class RtspSource {
  private conn?: RtspConnection;
  private aggregate = '';
  private keepaliveTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private reconnecting = false;
  /** When the last PLAY was answered: a fresh session gets the reconnect delay to start its media. */
  private playedAt = 0;
  private stopped = false;
  private getParameter = false;
  /** RTP comes interleaved on the connection: asked for, or the server refused UDP once (kept for reconnects). */
  private interleaved: boolean;
  /** Interleaved: each track's RTCP channel, where our keyframe requests go. */
  private rtcpChannels: number[] = [];
  reconnects = 0;

  constructor(
    private readonly opts: RtspSourceOptions,
    private readonly log: Logger,
  ) {
    this.interleaved = opts.transport === 'tcp';
  }

  /** How the tracks were set up: `tcp` (interleaved) or `udp`. */
  get transport(): 'udp' | 'tcp' {
    return this.interleaved ? 'tcp' : 'udp';
  }

  /** Connects and DESCRIBEs: the server's tracks. */
  async describe(): Promise<RtspTrack[]> {
    this.closeConnection();
    try {
      return await this.describeOnce();
    } catch (err) {
      // nothing stays open after a failed DESCRIBE
      this.closeConnection();
      throw err;
    }
  }

  private async describeOnce(): Promise<RtspTrack[]> {
    const url = new URL(this.opts.url);
    const conn = await RtspConnection.open(url, {
      connectTimeoutMs: this.opts.connectTimeoutMs,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      ...(this.opts.localAddress !== undefined ? { localAddress: this.opts.localAddress } : {}),
    });
    if (this.stopped) {
      conn.close();
      throw new RtspError('RTSP source stopped');
    }
    this.conn = conn;
    // the request URI carries no credentials
    const target = `${url.protocol}//${url.host}${url.pathname}${url.search}`;
    const options = await conn.request('OPTIONS', target).catch(() => undefined);
    this.getParameter = /\bGET_PARAMETER\b/i.test(options ? (header(options, 'public') ?? '') : '');
    let res;
    try {
      res = await conn.request('DESCRIBE', target, { Accept: 'application/sdp' });
    } catch (err) {
      if (!(this.opts.quirk && err instanceof RtspError && err.status === 404)) throw err;
      res = await conn.request('DESCRIBE', url.pathname, { Accept: 'application/sdp' });
    }
    const base = header(res, 'content-base') ?? header(res, 'content-location') ?? target;
    const sdp = parseRtspSdp(res.body, base);
    this.aggregate = sdp.aggregate;
    return sdp.tracks;
  }

  /** SETUPs each track to its ports (one RTSP session), PLAYs, and keeps the session alive. */
  async play(tracks: RtspTrack[], ports: RtspPorts[]): Promise<void> {
    const conn = this.conn;
    if (!conn) throw new RtspError('RTSP source not described');
    let timeoutS = DEFAULT_SESSION_TIMEOUT_S;
    const trackOfChannel = new Map<number, number>();
    this.rtcpChannels = [];
    conn.onInterleaved = (channel, frame) => {
      const index = trackOfChannel.get(channel);
      // the odd channels carry the server's RTCP, which a mountpoint does not read
      if (index !== undefined) this.opts.onInterleavedRtp(index, frame);
    };
    for (const [i, t] of tracks.entries()) {
      let res;
      try {
        res = await conn.request('SETUP', t.control, { Transport: this.transportHeader(i, ports[i]!) });
      } catch (err) {
        const refused = err instanceof RtspError && err.status === UNSUPPORTED_TRANSPORT;
        // only before any track is set up: one session's tracks share one transport
        if (!refused || i > 0 || this.interleaved || this.opts.transport !== 'auto') throw err;
        this.log.info('rtsp server refused RTP over UDP, using TCP', { url: this.opts.url });
        this.interleaved = true;
        res = await conn.request('SETUP', t.control, { Transport: this.transportHeader(i, ports[i]!) });
      }
      if (this.interleaved) {
        // the server may pick other channels than asked (RFC 2326 12.39)
        const ch = /interleaved=(\d+)(?:-(\d+))?/i.exec(header(res, 'transport') ?? '');
        const rtp = ch ? Number(ch[1]) : 2 * i;
        trackOfChannel.set(rtp, i);
        this.rtcpChannels[i] = ch?.[2] !== undefined ? Number(ch[2]) : rtp + 1;
      }
      const session = header(res, 'session');
      if (!session) throw new RtspError('RTSP SETUP answered no session');
      conn.session ??= session.split(';')[0]!.trim();
      const timeout = /;\s*timeout=(\d+)/i.exec(session);
      if (timeout) timeoutS = Number(timeout[1]);
    }
    await conn.request('PLAY', this.aggregate, { Range: 'npt=0.000-' });
    this.playedAt = Date.now();
    if (this.opts.sessionTimeoutS > 0) timeoutS = Math.min(timeoutS, this.opts.sessionTimeoutS);
    this.keepalive(conn, Math.max(1, timeoutS) * 500);
  }

  /** RTCP of ours (a PLI) to the server for track `index`: only over TCP (over UDP it goes to the latched port). */
  sendRtcp(index: number, packet: Buffer): void {
    const channel = this.rtcpChannels[index];
    if (this.interleaved && channel !== undefined) this.conn?.sendInterleaved(channel, packet);
  }

  private transportHeader(index: number, p: RtspPorts): string {
    return this.interleaved
      ? `RTP/AVP/TCP;unicast;interleaved=${2 * index}-${2 * index + 1}`
      : `RTP/AVP;unicast;client_port=${p.rtp}-${p.rtcp}`;
  }

  private keepalive(conn: RtspConnection, periodMs: number): void {
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = setInterval(() => {
      if (conn.closed) return;
      const method = this.getParameter ? 'GET_PARAMETER' : 'OPTIONS';
      conn.request(method, this.aggregate).catch((err: unknown) => {
        // the watchdog reconnects if media stops too
        this.log.debug('rtsp keepalive failed', { url: this.opts.url, error: String(err) });
      });
    }, periodMs);
    this.keepaliveTimer.unref();
  }

  /**
   * Reconnects whenever `silentMs()` (how long no stream received anything) passes the reconnect
   * delay: a fresh DESCRIBE, the same kinds of track SETUP to the same ports, PLAY. A session just
   * played gets the delay too: a server whose pipeline starts slowly (a restarted camera, a loaded
   * host) would otherwise be torn down before its first packet, again and again.
   */
  supervise(silentMs: () => number, kinds: ReadonlyArray<'audio' | 'video'>, ports: RtspPorts[]): void {
    const delay = Math.max(1000, this.opts.reconnectDelayMs);
    this.watchdog = setInterval(
      () => {
        // silent since before the last PLAY, and that PLAY's session had the delay to send
        const silent = Math.min(silentMs(), Date.now() - this.playedAt);
        if (this.stopped || this.reconnecting || silent < delay) return;
        this.reconnecting = true;
        void this.reconnect(kinds, ports).finally(() => {
          this.reconnecting = false;
        });
      },
      Math.min(500, delay),
    );
    this.watchdog.unref();
  }

  private async reconnect(kinds: ReadonlyArray<'audio' | 'video'>, ports: RtspPorts[]): Promise<void> {
    this.log.info('rtsp source silent, reconnecting', { url: this.opts.url });
    await this.teardown();
    try {
      const tracks = pickTracks(await this.describe(), kinds);
      if (tracks.length !== ports.length) throw new RtspError('the RTSP server no longer offers the same tracks');
      if (this.stopped) return;
      await this.play(tracks, ports);
      this.reconnects++;
      this.log.info('rtsp source reconnected', { url: this.opts.url, reconnects: this.reconnects });
    } catch (err) {
      this.closeConnection();
      this.log.info('rtsp reconnect failed, trying again', { url: this.opts.url, error: String(err) });
      // the silence lasts, so the watchdog tries again after another delay
      await new Promise((r) => setTimeout(r, this.opts.reconnectDelayMs).unref());
    }
    if (this.stopped) await this.teardown();
  }

  /** TEARDOWN of the current session (best effort), then the connection is closed. */
  private async teardown(): Promise<void> {
    const conn = this.conn;
    clearInterval(this.keepaliveTimer);
    if (conn && !conn.closed && conn.session) await conn.request('TEARDOWN', this.aggregate).catch(() => undefined);
    if (this.conn === conn) this.closeConnection();
  }

  private closeConnection(): void {
    clearInterval(this.keepaliveTimer);
    this.conn?.close();
    this.conn = undefined;
  }

  /** The mountpoint goes: TEARDOWN, timers and connection closed. */
  async stop(): Promise<void> {
    // not once only: a stop during a connect closes what that connect opened when called again
    this.stopped = true;
    clearInterval(this.watchdog);
    await this.teardown();
  }
}
