import { beforeEach, describe, expect, it } from 'vitest';
import { meterDurableObject } from '../../../edge/metering/meterDurableObject.js';
import { meterRegistry } from '../../../edge/metering/registry.js';

/** The parts of a DurableObjectState the hook touches, in memory. */
function fakeState(id: string) {
  const sockets: Array<{ sent: string[]; send(m: string): void }> = [];
  const storage = {
    put: async (..._a: unknown[]) => undefined,
    delete: async (..._a: unknown[]) => true,
    deleteAll: async () => undefined,
    setAlarm: async (_at: number) => undefined,
    deleteAlarm: async () => undefined,
  };
  const ctx = {
    id: { toString: () => id },
    storage,
    acceptWebSocket: (ws: (typeof sockets)[number]) => void sockets.push(ws),
    getWebSockets: () => [...sockets],
  };
  return { ctx: ctx as unknown as DurableObjectState, sockets };
}

const socket = () => ({
  sent: [] as string[],
  send(m: string) {
    this.sent.push(m);
  },
});

/** A shell like ours: RPC methods, handlers, and a private helper they call. */
function shellClass() {
  return class Shell {
    constructor(
      readonly ctx: DurableObjectState,
      env: object,
      internal: string[] = ['helper'],
    ) {
      meterDurableObject(this, ctx, env, 'Shell', internal);
    }
    helper(): number {
      return 1;
    }
    async rpc(x: number): Promise<number> {
      await this.ctx.storage.put({ a: 1, b: 2 });
      return x + this.helper();
    }
    syncRpc(): string {
      return 'ok';
    }
    async fails(): Promise<void> {
      throw new Error('no');
    }
    async fetch(): Promise<string> {
      this.ctx.acceptWebSocket(socket() as unknown as WebSocket);
      return 'upgraded';
    }
    async webSocketMessage(ws: WebSocket, m: string): Promise<void> {
      ws.send(`re:${m}`);
      for (const other of this.ctx.getWebSockets()) if (other !== ws) other.send('note');
    }
    async alarm(): Promise<void> {
      await this.ctx.storage.setAlarm(0);
    }
  };
}

const shell = () => meterRegistry.snapshot().objects.find((o) => o.cls === 'Shell');

describe('the Durable Object metering hook', () => {
  beforeEach(() => meterRegistry.reset());

  it('changes nothing while METERING is off', async () => {
    const Shell = shellClass();
    const proto = { ...Object.getOwnPropertyDescriptors(Shell.prototype) };
    const { ctx } = fakeState('off');
    const put = ctx.storage.put;
    const s = new Shell(ctx, {});
    expect(await s.rpc(1)).toBe(2);
    expect(Object.getOwnPropertyDescriptors(Shell.prototype)).toEqual(proto);
    expect(ctx.storage.put).toBe(put);
    expect(shell()).toBeUndefined();
  });

  it('counts and times every entry point by kind, not the helpers, and keeps results and errors', async () => {
    const Shell = shellClass();
    const { ctx } = fakeState('on');
    const s = new Shell(ctx, { METERING: '1' });
    new Shell(ctx, { METERING: '1' }); // a second instance does not wrap twice
    expect(await s.rpc(1)).toBe(2);
    expect(s.syncRpc()).toBe('ok');
    await expect(s.fails()).rejects.toThrow('no');
    await s.fetch();
    await s.fetch();
    const [first] = ctx.getWebSockets();
    await s.webSocketMessage(first!, 'hi');
    await s.alarm();
    const o = shell()!;
    expect(o.id).toBe('on');
    expect(o.methods).toEqual({ rpc: 1, syncRpc: 1, fails: 1, fetch: 2, webSocketMessage: 1, alarm: 1 });
    expect(o.counts).toMatchObject({ request: 5, alarm: 1, wsIn: 1, wsOut: 2, storageRows: 2, alarmSets: 1 });
    expect(o.calls).toHaveLength(7);
    expect(o.calls.every(([start, end]) => end >= start)).toBe(true);
  });

  it('counts what sockets send, and the messages still go out', async () => {
    const Shell = shellClass();
    const { ctx, sockets } = fakeState('ws');
    const s = new Shell(ctx, { METERING: 'true' });
    await s.fetch();
    await s.fetch();
    await s.webSocketMessage(sockets[0] as unknown as WebSocket, 'x');
    expect(sockets[0]!.sent).toEqual(['re:x']);
    expect(sockets[1]!.sent).toEqual(['note']);
    expect(shell()!.counts.wsOut).toBe(2);
  });
});
