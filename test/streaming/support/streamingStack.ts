/** The set-up most Streaming stack tests share: a stack of their own and an admin handle on it. */
import { afterAll, beforeAll } from 'vitest';
import { startStack, type Stack } from '../../support/stack.js';
import { resources } from './census.js';
import { StreamingHandle } from './viewer.js';

export interface StreamingStack {
  stack: Stack;
  /** A Streaming handle that creates and destroys mountpoints (on `adminRegion`'s relay when given). */
  admin: StreamingHandle;
  /** The first relay's region. */
  region: string;
  /** The Streaming sockets and mountpoints of the first relay. */
  census(): Promise<{ sockets: number; mountpoints: number }>;
}

/** Starts the stack (with `env`) before the file's tests and stops it after them. */
export function useStreamingStack(env: Record<string, string> = {}, adminRegion?: string): StreamingStack {
  const ctx = {
    async census() {
      const r = await resources(ctx.stack, ctx.region);
      return { sockets: r.streaming.sockets, mountpoints: r.streaming.mountpoints };
    },
  } as StreamingStack;
  beforeAll(async () => {
    ctx.stack = await startStack(env);
    ctx.region = ctx.stack.relays[0]!.region;
    ctx.admin = await StreamingHandle.connect(ctx.stack, adminRegion);
  }, 120_000);
  afterAll(async () => {
    await ctx.admin?.close().catch(() => undefined);
    await ctx.stack?.stop();
  });
  return ctx;
}
