import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.js';

/**
 * The recording upload hook (`RELAY_RECORDING_HOOK`): for every recording file that closed complete
 * (its data synced), the relay runs the operator's executable with the file's absolute path as its
 * one argument and the facts in its environment (`RECORDING_*`). The hook decides what to do — upload
 * to object storage, move, delete. It runs beside the media, never on the packet or command path:
 * `fileClosed` only queues. At most `concurrency` run at once, at most `queueLimit` wait (more are
 * dropped, logged and counted), each is killed after `timeoutMs` (with its process group, so what it
 * started goes too); its exit status is logged and counted.
 */

export interface RecordingHookSettings {
  /** Absolute path of the executable (run without a shell). */
  command: string;
  timeoutMs: number;
  concurrency: number;
  queueLimit: number;
  /** At start, hand the hook the `.mjr` files left in the recordings directory (a crashed relay's). */
  sweep: boolean;
  /** How long a relay that shuts down waits for hooks before it kills them. */
  shutdownGraceMs: number;
}

export const DEFAULT_HOOK_CONCURRENCY = 2;
export const DEFAULT_HOOK_QUEUE_LIMIT = 1000;
/** How long a relay that shuts down waits for running hooks (its supervisor force-exits at 10 s). */
export const HOOK_SHUTDOWN_GRACE_MS = 5000;
/** The tail of a hook's stderr kept for the log line of a failure. */
const STDERR_TAIL_BYTES = 2048;

/** A closed recording file and what is known about it. */
export interface ClosedRecording {
  path: string;
  bytes: number;
  /** Absent for files found by the start-up sweep. */
  durationMs?: number;
  damaged?: boolean;
  kind?: string;
  /** The plugin that recorded it and its ids (room, participant, recording id). */
  plugin?: string;
  ids?: Record<string, string | number | null>;
  /** Found by the start-up sweep: left by a relay that stopped without closing it. */
  swept?: boolean;
}

export interface RecordingHookTotals {
  ok: number;
  failed: number;
  timeout: number;
  dropped: number;
  running: number;
  queued: number;
}

/** `room` → RECORDING_ROOM, `id` → RECORDING_ID, `feedId` → RECORDING_FEED_ID. */
function envName(key: string): string {
  return `RECORDING_${key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]/g, '_')
    .toUpperCase()}`;
}

/** The hook's environment: the relay's own without its secret, and the file's facts. */
export function hookEnvironment(file: ClosedRecording, relayId: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.RELAY_SECRET;
  for (const k of Object.keys(env)) if (k.startsWith('RECORDING_')) delete env[k];
  for (const [k, v] of Object.entries(file.ids ?? {})) if (v !== null) env[envName(k)] = String(v);
  env.RELAY_ID = relayId;
  env.RECORDING_PATH = file.path;
  env.RECORDING_SIZE = String(file.bytes);
  if (file.durationMs !== undefined) env.RECORDING_DURATION_MS = String(file.durationMs);
  if (file.damaged !== undefined) env.RECORDING_DAMAGED = file.damaged ? '1' : '0';
  if (file.kind !== undefined) env.RECORDING_KIND = file.kind;
  if (file.plugin !== undefined) env.RECORDING_PLUGIN = file.plugin;
  if (file.swept) env.RECORDING_SWEPT = '1';
  return env;
}

interface Run {
  file: ClosedRecording;
  child: ChildProcess;
  timer: NodeJS.Timeout;
  done: Promise<void>;
  /** Killed by the shutdown (logged there, not counted). */
  abandoned: boolean;
}

export class RecordingHook {
  private readonly queue: ClosedRecording[] = [];
  private readonly running = new Set<Run>();
  private readonly counts = { ok: 0, failed: 0, timeout: 0, dropped: 0 };
  private stopping = false;

  constructor(
    readonly settings: RecordingHookSettings,
    private readonly relayId: string,
    private readonly log: Logger,
  ) {}

  get totals(): RecordingHookTotals {
    return { ...this.counts, running: this.running.size, queued: this.queue.length };
  }

  /** Room left in the queue (the start-up sweep fills only that). */
  get room(): number {
    return this.settings.queueLimit - this.queue.length;
  }

  /** Queues the hook for a file that closed complete; never waits, never throws. */
  fileClosed(file: ClosedRecording): void {
    if (this.stopping || this.queue.length >= this.settings.queueLimit) {
      this.counts.dropped++;
      this.log.warn('recording hook dropped', {
        path: file.path,
        why: this.stopping ? 'relay shutting down' : 'queue full',
      });
      return;
    }
    this.queue.push(file);
    this.next();
  }

  private next(): void {
    while (!this.stopping && this.running.size < this.settings.concurrency && this.queue.length > 0)
      this.start(this.queue.shift()!);
  }

  private start(file: ClosedRecording): void {
    const started = performance.now();
    let child: ChildProcess;
    try {
      // no shell: the path is one argument whatever it holds; a process group of its own, killed whole
      child = spawn(this.settings.command, [file.path], {
        env: hookEnvironment(file, this.relayId),
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      });
    } catch (err) {
      this.counts.failed++;
      this.log.warn('recording hook failed to start', { path: file.path, error: String(err) });
      return;
    }
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_TAIL_BYTES);
    });
    let timedOut = false;
    let spawnError: Error | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, this.settings.timeoutMs);
    timer.unref();
    const run = { file, child, timer, abandoned: false } as Run;
    run.done = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        // not started (ENOENT, EACCES): no exit follows
        spawnError = err;
        if (child.pid === undefined) finish(null, null);
      });
      child.once('exit', (code, signal) => finish(code, signal));
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (!this.running.has(run)) return;
        clearTimeout(timer);
        this.running.delete(run);
        child.stderr?.destroy();
        const fields = { path: file.path, code, signal, ms: Math.round(performance.now() - started) };
        if (run.abandoned) {
          // logged by the shutdown
        } else if (timedOut) {
          this.counts.timeout++;
          this.log.warn('recording hook timed out and was killed', { ...fields, stderr });
        } else if (code === 0) {
          this.counts.ok++;
          this.log.info('recording hook done', fields);
        } else {
          this.counts.failed++;
          this.log.warn('recording hook failed', { ...fields, stderr, error: spawnError?.message });
        }
        resolve();
        this.next();
      };
    });
    this.running.add(run);
  }

  /**
   * The relay shuts down: no new hooks; those queued still start while `graceMs` lasts, then what
   * runs is killed and what was left is logged (the files stay where they are, for the next sweep).
   */
  async shutdown(graceMs = this.settings.shutdownGraceMs): Promise<void> {
    const deadline = performance.now() + graceMs;
    while ((this.running.size > 0 || this.queue.length > 0) && performance.now() < deadline) {
      const left = deadline - performance.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.race([...this.running].map((r) => r.done)),
        new Promise((r) => (timer = setTimeout(r, left))),
      ]);
      clearTimeout(timer);
    }
    this.stopping = true;
    const abandoned = [...this.running].map((r) => r.file.path).concat(this.queue.splice(0).map((f) => f.path));
    if (abandoned.length > 0) this.log.warn('recording hooks abandoned at shutdown', { files: abandoned });
    const running = [...this.running];
    for (const r of running) {
      r.abandoned = true;
      killGroup(r.child);
    }
    await Promise.all(running.map((r) => r.done));
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
