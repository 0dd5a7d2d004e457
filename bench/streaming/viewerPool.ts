/**
 * The viewers of `bench:streaming`, spread over `workers` forked processes (viewerWorker.ts): opened
 * in batches of 10 at a time whatever the number of processes, as one process did, sampled together.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cleanups } from '../support/cleanup.js';
import { workerReply, type ViewerSample, type WorkerReply, type WorkerRequest } from './viewerProtocol.js';

const BATCH = 10;

class ViewerProcess {
  private readonly waiting: Array<{ resolve: (r: WorkerReply) => void; reject: (e: Error) => void }> = [];

  constructor(readonly child: ChildProcess) {
    child.on('message', (raw: unknown) => this.waiting.shift()?.resolve(workerReply.parse(raw)));
    child.on('exit', (code, signal) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`viewer process exited (${code ?? signal})`));
    });
  }

  async ask<T extends WorkerReply['type']>(
    req: WorkerRequest,
    expected: T,
  ): Promise<Extract<WorkerReply, { type: T }>> {
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.send(req);
    });
    if (reply.type === 'error') throw new Error(`viewer process: ${reply.message}`);
    if (reply.type !== expected) throw new Error(`viewer process answered ${reply.type} to ${req.type}`);
    return reply as Extract<WorkerReply, { type: T }>;
  }
}

export class ViewerPool {
  private constructor(private readonly procs: ViewerProcess[]) {}

  static start(workers: number): ViewerPool {
    const url = new URL('./viewerWorker.ts', import.meta.url);
    // fork keeps this process's execArgv: tsx's loader runs the worker's TypeScript too
    const procs = Array.from({ length: workers }, () => new ViewerProcess(fork(url, [], { stdio: 'inherit' })));
    cleanups.push(() => {
      for (const p of procs) p.child.kill('SIGKILL');
    });
    return new ViewerPool(procs);
  }

  /** The viewer processes, whose CPU is the load generator's and no server's. */
  get pids(): number[] {
    return this.procs.map((p) => p.child.pid!);
  }

  /** Opens `count` viewers of mountpoint `id`, batch by batch, each batch on the next process. */
  async open(
    count: number,
    target: { wsUrl: string; id: number; clientAddress?: string | undefined; decrypt: boolean },
  ): Promise<void> {
    for (let i = 0, b = 0; i < count; i += BATCH, b++) {
      const proc = this.procs[b % this.procs.length]!;
      const { clientAddress, ...rest } = target;
      await proc.ask(
        { type: 'open', ...rest, ...(clientAddress ? { clientAddress } : {}), count: Math.min(BATCH, count - i) },
        'opened',
      );
    }
  }

  /** Every viewer's figures at this moment (the processes asked together). */
  async sample(): Promise<ViewerSample[]> {
    const replies = await Promise.all(this.procs.map((p) => p.ask({ type: 'sample' }, 'sample')));
    return replies.flatMap((r) => r.viewers);
  }

  /** Closes every viewer, then the processes. */
  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.ask({ type: 'close' }, 'closed').catch(() => undefined)));
    for (const p of this.procs) p.child.disconnect();
  }
}
