/** A real RTSP server for the tests: GStreamer's gst-rtsp-server (rtsp_server.py) on loopback. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '../../support/stack.js';

/** Debian's python with GObject introspection (the pyenv `python3` on PATH has no `gi`). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(import.meta.dirname, 'rtsp_server.py');

/** Why the RTSP tests cannot run here, or undefined when gst-rtsp-server and the codecs are installed. */
export function rtspServerMissing(): string | undefined {
  const probe = spawnSync(
    PYTHON,
    [
      '-c',
      "import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0'); " +
        'from gi.repository import Gst, GstRtspServer; Gst.init(None); ' +
        "assert all(Gst.ElementFactory.find(e) for e in ['vp8enc','rtpvp8pay','opusenc','rtpopuspay'])",
    ],
    { stdio: 'pipe', timeout: 20_000 },
  );
  if (probe.status === 0) return undefined;
  return `gst-rtsp-server missing (apt-get install gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad python3-gi): ${String(
    probe.stderr ?? probe.error,
  )
    .trim()
    .split('\n')
    .at(-1)}`;
}

export interface RtspAuth {
  mode: 'basic' | 'digest';
  user: string;
  password: string;
}

/** A running server: its URL, the RTSP requests it saw (`play`, `teardown`), and stop/restart on the same port. */
export class RtspTestServer {
  readonly seen: string[] = [];
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly auth?: RtspAuth,
    private readonly sessionTimeoutS?: number,
    private readonly tcpOnly = false,
    private readonly address = '127.0.0.1',
  ) {}

  /**
   * `sessionTimeoutS`: the server expires a session that long after the client's last request;
   * `tcpOnly`: RTP only interleaved on the RTSP connection (a UDP SETUP answers 461).
   */
  static async start(
    auth?: RtspAuth,
    sessionTimeoutS?: number,
    tcpOnly = false,
    address = '127.0.0.1',
  ): Promise<RtspTestServer> {
    const server = new RtspTestServer(await freePort(), auth, sessionTimeoutS, tcpOnly, address);
    await server.restart();
    return server;
  }

  get url(): string {
    return `rtsp://${this.address.includes(':') ? `[${this.address}]` : this.address}:${this.port}/test`;
  }

  async restart(): Promise<void> {
    const args = [
      SCRIPT,
      String(this.port),
      ...(this.auth ? [this.auth.mode, this.auth.user, this.auth.password] : []),
    ];
    const env = {
      ...process.env,
      ...(this.sessionTimeoutS ? { RTSP_SESSION_TIMEOUT: String(this.sessionTimeoutS) } : {}),
      ...(this.tcpOnly ? { RTSP_TCP_ONLY: '1' } : {}),
      RTSP_ADDRESS: this.address,
    };
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child = child;
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`RTSP server did not start: ${err}`)), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n').filter(Boolean)) {
          this.seen.push(line.trim());
          if (line.startsWith('ready')) {
            clearTimeout(timer);
            ok();
          }
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`RTSP server exited (${code}): ${err}`));
      });
    });
  }

  /** Kills the server (the source goes away without a word, as a crashed camera). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
