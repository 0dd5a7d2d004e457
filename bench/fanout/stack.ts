/**
 * The fan-out workload against our stack as users run it: `npm start` (scripts/start.ts: the edge
 * in workerd and one relay), driven over the Janus API like the reference (bench/fanout/reference.ts).
 * The stack figure is the CPU of every process `npm start` runs; the server figure the relay's.
 */
import { relayDebug, startStack } from '../../test/support/stack.js';
import { descendants } from '../support/proc.js';
import { runJanusApiWorkload } from './reference.js';
import type { FanoutOptions, FanoutRow } from './measure.js';

export async function runStack(
  n: number,
  opts: FanoutOptions,
  setupWorkers: number,
  onStop: (stop: () => Promise<void>) => void,
): Promise<FanoutRow> {
  const stack = await startStack({ RELAY_CAPACITY: String(Math.max(200, n + 10)), RELAY_ICE_PORTS: '400' });
  onStop(async () => void (await stack.stop()));
  try {
    const relay = stack.relays[0];
    if (!relay) throw new Error('npm start reported no relay');
    return await runJanusApiWorkload(
      {
        wsUrl: stack.wsUrl,
        serverPid: relay.pid,
        stackPids: () => [stack.pid, ...descendants(stack.pid).map((p) => p.pid)],
        name: 'npm start',
        memory: async () => {
          const r = await relayDebug<{ memory: Record<string, number> }>(stack, relay.httpUrl, '/debug/resources');
          const mb = (b: number | undefined) => Math.round(((b ?? 0) / 2 ** 20) * 10) / 10;
          const { rss, heapTotal, heapUsed, external, arrayBuffers } = r.memory;
          // native: what neither V8's heap nor Buffers account for (code, malloc arenas, werift's native deps)
          return {
            rssMb: mb(rss),
            heapTotalMb: mb(heapTotal),
            heapUsedMb: mb(heapUsed),
            externalMb: mb(external),
            arrayBuffersMb: mb(arrayBuffers),
            nativeMb: mb((rss ?? 0) - (heapTotal ?? 0) - (external ?? 0)),
          };
        },
      },
      n,
      opts,
      setupWorkers,
    );
  } finally {
    await stack.stop();
  }
}
