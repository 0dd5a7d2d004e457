/**
 * Third-party WHIP/WHEP clients run by Debian's python3: GStreamer's webrtcbin as a WHIP publisher
 * (gst_whip_client.py) and aiortc as a WHEP player (aiortc_whep_player.py).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: gi and the GStreamer typelibs are Debian packages, not in a pyenv python3. */
const PYTHON = '/usr/bin/python3';
const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** Why aiortc cannot run here, or undefined when it can. */
export function aiortcMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import aiortc'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `${PYTHON}: ${r.error.message}`;
  return r.status === 0 ? undefined : r.stderr.trim().split('\n').pop();
}

/** Why the GStreamer WHIP client cannot run here, or undefined when it can. */
export function gstreamerMissing(): string | undefined {
  const probe = [
    'import gi',
    "gi.require_version('Gst', '1.0'); gi.require_version('GstWebRTC', '1.0'); gi.require_version('GstSdp', '1.0')",
    'from gi.repository import Gst, GstWebRTC, GstSdp',
    'Gst.init(None)',
    "missing = [e for e in ('webrtcbin', 'nicesrc', 'vp8enc', 'rtpvp8pay', 'opusenc', 'rtpopuspay', 'videotestsrc') if Gst.ElementFactory.find(e) is None]",
    "print(' '.join(missing))",
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `${PYTHON}: ${r.error.message}`;
  if (r.status !== 0) return r.stderr.trim().split('\n').pop();
  const missing = r.stdout.trim();
  return missing ? `GStreamer elements missing: ${missing}` : undefined;
}

export interface GstEvent {
  event: string;
  [k: string]: unknown;
}

/** A running client script: the JSON lines it printed so far, and its exit. */
export class PythonClient {
  readonly events: GstEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly proc: ChildProcess;
  private stderr = '';

  constructor(name: string, args: string[]) {
    this.proc = spawn(PYTHON, [script(name), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Debian's GStreamer, not a pyenv's site-packages
      env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', GST_DEBUG: '0' },
    });
    let buffered = '';
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{')) this.events.push(JSON.parse(line) as GstEvent);
      }
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  find(event: string): GstEvent | undefined {
    return this.events.find((e) => e.event === event);
  }

  /** What it said, for a failing assertion's message. */
  describe(): string {
    return JSON.stringify(this.events) + (this.stderr ? `\nstderr: ${this.stderr}` : '');
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/** GStreamer publishing VP8 + Opus to a WHIP endpoint for `seconds` once connected, then DELETE. */
export const gstWhipPublish = (endpointUrl: string, seconds: number, token?: string) =>
  new PythonClient('gst_whip_client.py', [endpointUrl, String(seconds), ...(token ? [token] : [])]);

/** aiortc playing a WHEP endpoint for `seconds` (its decoded frames reported), then DELETE. */
export const aiortcWhepPlay = (endpointUrl: string, seconds: number) =>
  new PythonClient('aiortc_whep_player.py', [endpointUrl, String(seconds)]);
