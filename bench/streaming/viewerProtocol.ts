/**
 * What the benchmark's process and its viewer processes (bench/streaming/viewerWorker.ts) say to each
 * other over the IPC channel: the parent asks, the worker answers each request in order.
 */
import { z } from 'zod';

export const workerRequest = z.discriminatedUnion('type', [
  /** Open `count` viewers of mountpoint `id` on the server at `wsUrl`, each on its own session. */
  z.object({
    type: z.literal('open'),
    wsUrl: z.string(),
    id: z.number().int(),
    count: z.number().int().positive(),
    clientAddress: z.string().optional(),
    decrypt: z.boolean(),
  }),
  /** Every viewer's distinct packets so far. */
  z.object({ type: z.literal('sample') }),
  /** Close every viewer. */
  z.object({ type: z.literal('close') }),
]);
export type WorkerRequest = z.infer<typeof workerRequest>;

export const viewerSample = z.object({
  /** Distinct RTP packets received (by sequence number, every stream). */
  packets: z.number().int().nonnegative(),
  /** ms from `watch` sent to the first video packet; null before one came. */
  joinMs: z.number().nullable(),
});
export type ViewerSample = z.infer<typeof viewerSample>;

export const workerReply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('opened') }),
  z.object({ type: z.literal('sample'), viewers: z.array(viewerSample) }),
  z.object({ type: z.literal('closed') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type WorkerReply = z.infer<typeof workerReply>;
