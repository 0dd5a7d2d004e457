/**
 * The werift floor of a call (bench:connect's first row): what its EchoTest call costs werift alone,
 * without the edge, the relay protocol or the SFU. The same werift client as bench:connect (audio +
 * video, tagged RTP every 20 ms once connected) calls a bare werift answerer in a process of its own,
 * run with the relay's Node flags and werift patches (`weriftEchoServer.ts`); a call ends at the first
 * echoed packet, then both sides close. The answerer's CPU per call (from /proc), sequentially and
 * with calls in flight, after untimed warm-up calls as bench:connect makes: the relay's figure minus
 * this one is what the relay adds to werift.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EchoClient } from '../../test/relay/support/client.js';
import { RELAY_NODE_FLAGS } from '../../scripts/stack/relayProcess.js';
import { cleanups } from '../support/cleanup.js';
import { readStat } from '../support/proc.js';
import { fmt, percentile, table } from '../support/table.js';
import type { FloorReply, FloorRequest } from './weriftEchoServer.js';

const CALL_TIMEOUT_MS = 15_000;

class Server {
  private readonly waiting = new Map<string, (r: FloorReply) => void>();
  readonly child: ChildProcess;

  constructor() {
    this.child = fork(fileURLToPath(new URL('./weriftEchoServer.ts', import.meta.url)), [], {
      execArgv: [...RELAY_NODE_FLAGS, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (r: FloorReply) => {
      const key = `${r.id}:${r.closed ? 'close' : 'offer'}`;
      this.waiting.get(key)?.(r);
      this.waiting.delete(key);
    });
  }

  ask(m: FloorRequest): Promise<FloorReply> {
    return new Promise((resolve) => {
      this.waiting.set(`${m.id}:${'close' in m ? 'close' : 'offer'}`, resolve);
      this.child.send(m);
    });
  }

  cpuMs(): number {
    return readStat(this.child.pid!)?.cpuMs ?? NaN;
  }
}

let nextId = 1;

/** One call; resolves with offer → first echo in ms. */
async function call(server: Server): Promise<number> {
  const id = nextId++;
  const client = new EchoClient();
  const keys = [client.addMedia('audio'), client.addMedia('video')];
  try {
    const echoed = new Promise<void>((resolve) => {
      client.pc.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe((rtp) => {
          if (rtp.payload.length >= 5 && rtp.payload[0] === 0x7e) resolve();
        }),
      );
    });
    const start = performance.now();
    const offer = await client.createOffer();
    const r = await server.ask({ id, offer });
    if (!r.answer) throw new Error(`the answerer refused the offer: ${r.error}`);
    await client.acceptAnswer(r.answer);
    await client.connected(CALL_TIMEOUT_MS);
    for (const k of keys) client.startSending(k);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      echoed,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no echo')), CALL_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
    return performance.now() - start;
  } finally {
    await client.close();
    await server.ask({ id, close: true });
  }
}

async function phase(server: Server, calls: number, width: number): Promise<{ cpuMs: number; ms: number[] }> {
  const ms: number[] = [];
  const before = server.cpuMs();
  let left = calls;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (left > 0) {
        left--;
        ms.push(await call(server));
      }
    }),
  );
  return { cpuMs: (server.cpuMs() - before) / calls, ms };
}

export interface FloorPhase {
  /** The answerer's CPU per call, ms. */
  cpuMs: number;
  /** Offer → first echo, ms. */
  p50: number;
  p95: number;
}

export interface WeriftFloor {
  sequential: FloorPhase;
  concurrent: FloorPhase;
}

/** `calls` sequentially, then `calls` with `concurrency` in flight, after `warmup` untimed calls (5 at a time). */
export async function measureWeriftFloor(calls: number, concurrency: number, warmup: number): Promise<WeriftFloor> {
  const server = new Server();
  const stop = () => void server.child.kill();
  cleanups.push(stop);
  try {
    await phase(server, warmup, Math.min(5, warmup));
    const summary = (p: { cpuMs: number; ms: number[] }): FloorPhase => ({
      cpuMs: p.cpuMs,
      p50: percentile(p.ms, 0.5),
      p95: percentile(p.ms, 0.95),
    });
    const sequential = summary(await phase(server, calls, 1));
    const concurrent = summary(await phase(server, calls, Math.min(concurrency, calls)));
    return { sequential, concurrent };
  } finally {
    stop();
  }
}

/** The floor beside our relay's CPU per call (when it ran): what the relay adds to werift's own cost. */
export function floorTable(
  floor: WeriftFloor,
  concurrency: number,
  relayCpuMs: (mode: 'sequential' | 'concurrent') => number | undefined,
): string {
  const rows = [
    ['werift floor', 'answerer CPU ms/call', 'offer→echo p50', 'p95', 'our relay ms/call', 'relay − floor'],
  ];
  for (const mode of ['sequential', 'concurrent'] as const) {
    const f = floor[mode];
    const relay = relayCpuMs(mode) ?? NaN;
    const name = mode === 'concurrent' ? `concurrent x${concurrency}` : mode;
    rows.push([name, fmt(f.cpuMs), fmt(f.p50), fmt(f.p95), fmt(relay), fmt(relay - f.cpuMs)]);
  }
  return table(rows);
}
