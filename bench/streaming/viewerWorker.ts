/**
 * A viewer process of `bench:streaming` (forked by viewerPool.ts): it holds the werift viewers the
 * parent asks it to open and reports their packet counts, so that viewers spread over processes (and
 * CPUs) and the benchmark's own process only drives them.
 */
import { BenchViewer } from './viewer.js';
import { workerRequest, type WorkerReply, type WorkerRequest } from './viewerProtocol.js';

const viewers: BenchViewer[] = [];

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.type) {
    case 'open': {
      const opened = await Promise.all(
        Array.from({ length: req.count }, async () => {
          const v = await BenchViewer.open(req.wsUrl);
          viewers.push(v);
          await v.watch(req.id, req.clientAddress, req.decrypt);
          return v;
        }),
      );
      return opened.length === req.count ? { type: 'opened' } : { type: 'error', message: 'not every viewer opened' };
    }
    case 'sample':
      return {
        type: 'sample',
        viewers: viewers.map((v) => ({
          packets: v.packets.distinct,
          joinMs: v.firstVideoAt > 0 ? v.firstVideoAt - v.watchAt : null,
        })),
      };
    case 'close':
      for (const v of viewers.splice(0)) await v.close();
      return { type: 'closed' };
  }
}

// One request at a time, answered in order.
let queue = Promise.resolve();
process.on('message', (raw: unknown) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      reply = await handle(workerRequest.parse(raw));
    } catch (err) {
      reply = { type: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    process.send!(reply);
  });
});
// The parent gone (a crash, Ctrl-C), nothing here should outlive it.
process.on('disconnect', () => process.exit(0));
