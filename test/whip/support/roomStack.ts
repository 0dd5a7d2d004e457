/** The set-up the VideoRoom WHIP/WHEP suites share: one stack and a Janus-API admin handle per suite. */
import { afterAll, beforeAll } from 'vitest';
import { startStack, type Stack } from '../../support/stack.js';
import { Participant } from '../../videoroom/support/participant.js';

export interface RoomStack {
  stack: Stack;
  admin: Participant;
  /** A new room (random id from `base`) with room for `publishers`. */
  newRoom(base: number, publishers?: number): Promise<number>;
  /** The room's participants as `listparticipants` lists them. */
  participants(room: number): Promise<Array<Record<string, any>>>;
}

/** Starts the stack (with `env`) before the suite's tests and stops it after them. */
export function useRoomStack(env: Record<string, string> = {}): RoomStack {
  const ctx = {
    async newRoom(base: number, publishers = 4) {
      const room = base + Math.floor(Math.random() * 1e6);
      await ctx.admin.sync({ request: 'create', room, publishers });
      return room;
    },
    async participants(room: number) {
      return (await ctx.admin.sync({ request: 'listparticipants', room })).participants as Array<Record<string, any>>;
    },
  } as RoomStack;
  beforeAll(async () => {
    ctx.stack = await startStack(env);
    ctx.admin = await Participant.connect(ctx.stack);
  }, 120_000);
  afterAll(async () => {
    await ctx.admin?.close().catch(() => undefined);
    await ctx.stack?.stop();
  });
  return ctx;
}
