/**
 * One relay of `npm start`, supervised: a relay that exits is started again (same id, same port
 * ranges, so it re-registers as itself) after a backoff; one that stops answering its `/health`
 * (frozen, wedged) is killed and started again. The edge meanwhile hangs up the relay's calls
 * (heartbeat loss) and places new ones on the relays it still has.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Backoff } from './backoff.js';
import { HealthWatch } from './healthWatch.js';
import { logFile } from './logFile.js';
import { killGroup, terminate } from './processGroup.js';

/**
 * A young generation of 4 MB semi-spaces instead of V8's 16: werift allocates a buffer or more per
 * packet, and with 16 MB semi-spaces the relay at 100 subscribers keeps ~145 MB, with 4 MB ~117 MB
 * (issue 12's budget: 120), for ~5 % more CPU per forwarded packet (more, shorter scavenges: 18.5
 * against 17.6 µs; 8 MB: ~128 MB for the same CPU as 4; 2 MB +8 %, 1 MB +18 %; bench:rest --subs).
 * Source maps keep stack traces in the logs pointing at the TypeScript (+5 MB).
 */
export const RELAY_NODE_FLAGS = ['--max-semi-space-size=4', '--enable-source-maps'];

/**
 * More node flags for the relays, for measuring them as `npm start` runs them (node refuses
 * `--cpu-prof` in NODE_OPTIONS): `RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm start`.
 */
const relayNodeArgs = (process.env.RELAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

export interface RelaySpec {
  /** The relay as plain JavaScript (scripts/stack/bundle.ts builds it from relay/main.ts). */
  bundle: string;
  id: string;
  region: string;
  host: string;
  env: Record<string, string>;
  icePorts: [number, number];
  remotePorts: [number, number];
}

export class RelayProcess {
  private child: ChildProcess | undefined;
  private httpPort: number | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly backoff = new Backoff(500, 10_000, 30_000);
  private readonly health: HealthWatch;
  private readonly log;

  constructor(
    private readonly root: string,
    private readonly spec: RelaySpec,
    private readonly say: (line: string) => void,
    private readonly complain: (line: string) => void,
  ) {
    this.log = logFile(root, spec.id);
    this.health = new HealthWatch({
      url: () => (this.httpPort ? `http://${spec.host}:${this.httpPort}/health` : undefined),
      intervalMs: 2000,
      timeoutMs: 2000,
      failures: 3,
      onDead: (error) => {
        this.complain(`relay ${spec.id} stopped answering /health (${error}): killing it to restart it`);
        if (this.child) killGroup(this.child, 'SIGKILL');
      },
    });
  }

  start(): void {
    const { spec } = this;
    this.httpPort = undefined;
    const child = spawn(process.execPath, [...RELAY_NODE_FLAGS, ...relayNodeArgs, spec.bundle], {
      cwd: this.root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...spec.env },
    });
    this.child = child;
    this.backoff.started();
    child.stdout!.on('data', (d: Buffer) => {
      this.log.write(d);
      const text = d.toString();
      const m = /"event":"listening".*?"httpPort":(\d+)/.exec(text);
      if (m) {
        this.httpPort = Number(m[1]);
        // Tests and people read this line (the pid changes at each restart).
        this.say(
          `relay ${spec.id} region=${spec.region} pid=${child.pid} http=http://${spec.host}:${this.httpPort} ice=${spec.icePorts.join('-')} remote=${spec.remotePorts.join('-')}`,
        );
        this.health.start();
      }
      if (process.env.STACK_VERBOSE) process.stdout.write(`[relay ${spec.region}] ${text}`);
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.log.write(d);
      process.stderr.write(`[relay ${spec.region}] ${d}`);
    });
    child.once('exit', (code, signal) => {
      this.health.stop();
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      const wait = this.backoff.next();
      this.complain(`relay ${spec.id} exited (${signal ?? `code ${code}`}): restarting it in ${wait} ms`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.stopping) this.start();
      }, wait);
    });
  }

  /** SIGTERM (the relay hangs up its peers and tells the edge), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.health.stop();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.child) await terminate(this.child, graceMs);
    this.log.end();
  }

  kill(): void {
    if (this.child) killGroup(this.child, 'SIGKILL');
  }
}
