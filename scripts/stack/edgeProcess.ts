/**
 * The edge of `npm start`: the Worker in workerd, served by Miniflare straight from workerd (the
 * default: the deploy bundle, no proxy in front, the Worker's own cost as in production) or behind
 * `wrangler dev` (EDGE_RUNNER=wrangler: its dev proxy reloads on edits). The Durable
 * Objects' local state lives in `stateDir`, cleared at `npm start` and kept across restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../freePort.js';
import { writeVarsFile } from './edgeVars.js';
import { logFile } from './logFile.js';
import { killGroup, terminate } from './processGroup.js';
import { workerOptions } from './workerOptions.js';

export interface EdgeSpec {
  root: string;
  host: string;
  port: number;
  stateDir: string;
  vars: Record<string, string>;
  runner: 'wrangler' | 'miniflare';
}

/** A running edge, whichever runner serves it. */
interface RunningEdge {
  stop(): Promise<void>;
}

export class EdgeProcess {
  private running: RunningEdge | undefined;
  private readonly log;

  /** `onExit` hears of a wrangler dev process that ended on its own. */
  constructor(
    private readonly spec: EdgeSpec,
    private readonly onExit: (why: string) => void,
  ) {
    this.log = logFile(spec.root, `edge-${spec.port}`);
  }

  get url(): string {
    return `http://${this.spec.host}:${this.spec.port}`;
  }

  /** Starts the edge and resolves once its API answers (rejects after 60 s). */
  async start(): Promise<void> {
    mkdirSync(this.spec.stateDir, { recursive: true });
    this.running = this.spec.runner === 'miniflare' ? await this.startMiniflare() : await this.startWranglerDev();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.url}/janus/info`, { signal: AbortSignal.timeout(2000) });
        if (r.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the edge did not answer on ${this.url} within 60 s`);
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
  }

  private async startWranglerDev(): Promise<RunningEdge> {
    const { spec } = this;
    const inspectorPort = await freePort();
    const varsFile = resolve(spec.stateDir, 'vars.env');
    writeVarsFile(varsFile, spec.vars);
    const child: ChildProcess = spawn(
      resolve(spec.root, 'node_modules/.bin/wrangler'),
      [
        'dev',
        '--port',
        String(spec.port),
        '--ip',
        spec.host,
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        resolve(spec.stateDir, 'do'),
        '--env-file',
        varsFile,
        '--show-interactive-dev-session=false',
        '--log-level',
        process.env.WRANGLER_LOG ?? 'warn',
      ],
      {
        cwd: spec.root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: process.env.CI ?? 'true', NO_COLOR: '1' },
      },
    );
    let stopping = false;
    child.stdout!.on('data', (d: Buffer) => {
      this.log.write(d);
      if (process.env.STACK_VERBOSE) process.stdout.write(`[edge] ${d}`);
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.log.write(d);
      process.stderr.write(`[edge] ${d}`);
    });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      // Its workerd may outlive it; take the whole group down before anyone restarts it.
      killGroup(child, 'SIGKILL');
      this.onExit(`wrangler dev exited (${signal ?? `code ${code}`})`);
    });
    return {
      stop: async () => {
        stopping = true;
        await terminate(child, 5000);
        killGroup(child, 'SIGKILL');
      },
    };
  }

  private async startMiniflare(): Promise<RunningEdge> {
    const { spec } = this;
    const bundleDir = resolve(spec.stateDir, 'bundle');
    mkdirSync(bundleDir, { recursive: true });
    // The deploy bundle and wrangler's reading of wrangler.toml, each in a child of its own (at once).
    const [, workerOpts] = await Promise.all([
      this.buildDeployBundle(bundleDir),
      workerOptions(spec.root, resolve(spec.root, 'wrangler.toml')),
    ]);
    const { Miniflare, Log, LogLevel } = await import('miniflare');
    const signalListeners = signalListenersNow();
    const mf = new Miniflare({
      ...workerOpts,
      name: 'janus-edge',
      modules: true,
      scriptPath: resolve(bundleDir, 'index.js'),
      bindings: { ...workerOpts.bindings, ...spec.vars },
      // Miniflare's own entry on a port nobody uses; ours is served by the Worker's LocalEntry
      // (edge/localEntry.ts says why).
      host: spec.host,
      port: 0,
      unsafeDirectSockets: [{ host: spec.host, port: spec.port, entrypoint: 'LocalEntry' }],
      durableObjectsPersist: resolve(spec.stateDir, 'do'),
      // No network beyond loopback: do not fetch Cloudflare's `request.cf` sample.
      cf: false,
      // EDGE_INSPECTOR_PORT opens the V8 inspector (CPU profiles of the edge under load).
      ...(process.env.EDGE_INSPECTOR_PORT ? { inspectorPort: Number(process.env.EDGE_INSPECTOR_PORT) } : {}),
      log: new Log(LogLevel.WARN),
      handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
        stdout.on('data', (d: Buffer) => this.log.write(d));
        stderr.on('data', (d: Buffer) => {
          this.log.write(d);
          process.stderr.write(`[edge] ${d}`);
        });
      },
    } as ConstructorParameters<typeof Miniflare>[0]);
    leaveSignalsToSupervisor(signalListeners);
    await mf.ready;
    return {
      // A workerd that was killed may leave dispose() waiting: bound it.
      stop: () => Promise.race([mf.dispose().catch(() => undefined), new Promise<void>((r) => setTimeout(r, 5000))]),
    };
  }

  /** `wrangler deploy --dry-run`: the exact bundle a deploy would upload (its [build] step included). */
  private buildDeployBundle(outDir: string): Promise<void> {
    return new Promise<void>((res, rej) => {
      const build = spawn(
        resolve(this.spec.root, 'node_modules/.bin/wrangler'),
        ['deploy', '--dry-run', '--outdir', outDir],
        {
          cwd: this.spec.root,
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
        },
      );
      let err = '';
      build.stderr!.on('data', (d) => (err += d));
      build.once('exit', (code) => (code === 0 ? res() : rej(new Error(`edge build failed (${code}): ${err}`))));
    });
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function signalListenersNow(): Map<string, Set<unknown>> {
  return new Map(STOP_SIGNALS.map((sig) => [sig, new Set<unknown>(process.listeners(sig))]));
}

/**
 * Miniflare adds SIGINT/SIGTERM listeners that kill workerd and exit at once (143), before the
 * supervisor's stop could hang up the relays' peers and remove the edge's state directory. The
 * supervisor owns those signals: the listeners Miniflare added are removed (its `exit` hook, which
 * kills workerd if we exit any other way, stays).
 */
function leaveSignalsToSupervisor(before: Map<string, Set<unknown>>): void {
  for (const sig of STOP_SIGNALS)
    for (const listener of process.listeners(sig))
      if (!before.get(sig)!.has(listener)) process.removeListener(sig, listener);
}
