/**
 * The one hook a Durable Object shell calls in its constructor. With METERING off it does nothing.
 * With it on, it wraps the methods of the shell's prototype once (every RPC method, fetch, alarm and
 * the WebSocket handlers) so that each call is counted and timed in the registry, and it wraps the
 * object's WebSockets so that what it sends is counted too.
 */
import { meteringEnabled, type MeteringVars } from './meteringEnabled.js';
import { meterRegistry, type MeterKind } from './registry.js';

const KIND_OF_HANDLER: Record<string, MeterKind> = {
  fetch: 'request',
  alarm: 'alarm',
  webSocketMessage: 'wsIn',
  webSocketClose: 'wsClose',
  webSocketError: 'wsClose',
};

const wrappedPrototypes = new WeakSet<object>();
const countedSockets = new WeakSet<object>();
const wrappedStates = new WeakSet<object>();

type Method = (this: { ctx: DurableObjectState }, ...args: unknown[]) => unknown;

/** Counts what `ws` sends from now on as this object's outgoing messages. */
function countSends(ws: unknown, cls: string, id: string): void {
  if (typeof ws !== 'object' || ws === null || countedSockets.has(ws)) return;
  countedSockets.add(ws);
  const socket = ws as WebSocket;
  const send = socket.send.bind(socket);
  try {
    Object.defineProperty(socket, 'send', {
      configurable: true,
      value: (message: string | ArrayBuffer) => {
        meterRegistry.count(cls, id, 'wsOut');
        send(message);
      },
    });
  } catch {
    // A socket we cannot wrap only goes uncounted; outgoing messages are not billed.
  }
}

function wrapPrototype(proto: Record<string, unknown>, cls: string, internal: readonly string[]): void {
  for (const name of Object.getOwnPropertyNames(proto)) {
    const orig = proto[name];
    if (name === 'constructor' || internal.includes(name) || typeof orig !== 'function') continue;
    const kind = KIND_OF_HANDLER[name] ?? 'request';
    proto[name] = function (this: { ctx: DurableObjectState }, ...args: unknown[]) {
      const id = this.ctx.id.toString();
      if (kind === 'wsIn' || kind === 'wsClose') countSends(args[0], cls, id);
      const end = meterRegistry.begin(cls, id, kind, name);
      try {
        const result = (orig as Method).apply(this, args);
        if (result instanceof Promise) return result.finally(end);
        end();
        return result;
      } catch (err) {
        end();
        throw err;
      }
    };
  }
}

/** Counts the keys the object writes or deletes, and the alarms it sets or deletes. */
function meterStorage(storage: DurableObjectStorage, cls: string, id: string): void {
  const rows = (keyOrEntries: unknown) =>
    typeof keyOrEntries === 'string'
      ? 1
      : Array.isArray(keyOrEntries)
        ? keyOrEntries.length
        : Object.keys(keyOrEntries ?? {}).length;
  const wrap = (
    name: 'put' | 'delete' | 'deleteAll' | 'setAlarm' | 'deleteAlarm',
    count: (arg: unknown) => [MeterKind, number],
  ) => {
    const orig = (storage[name] as (...a: unknown[]) => unknown).bind(storage);
    Object.defineProperty(storage, name, {
      configurable: true,
      value: (...args: unknown[]) => {
        const [kind, n] = count(args[0]);
        meterRegistry.count(cls, id, kind, n);
        return orig(...args);
      },
    });
  };
  try {
    wrap('put', (k) => ['storageRows', rows(k)]);
    wrap('delete', (k) => ['storageRows', rows(k)]);
    wrap('deleteAll', () => ['storageRows', 1]);
    wrap('setAlarm', () => ['alarmSets', 1]);
    wrap('deleteAlarm', () => ['alarmSets', 1]);
  } catch {
    // Storage we cannot wrap only goes uncounted.
  }
}

/**
 * `internal`: prototype methods that are not entry points (private helpers the entry points call),
 * left unwrapped so that they are not counted as requests.
 */
export function meterDurableObject(
  shell: object,
  ctx: DurableObjectState,
  env: object,
  cls: string,
  internal: readonly string[] = [],
): void {
  if (!meteringEnabled(env as MeteringVars)) return;
  const proto = Object.getPrototypeOf(shell) as Record<string, unknown>;
  if (!wrappedPrototypes.has(proto)) {
    wrappedPrototypes.add(proto);
    wrapPrototype(proto, cls, internal);
  }
  if (wrappedStates.has(ctx)) return;
  wrappedStates.add(ctx);
  const id = ctx.id.toString();
  meterStorage(ctx.storage, cls, id);
  const accept = ctx.acceptWebSocket.bind(ctx);
  const tagged = ctx.getWebSockets.bind(ctx);
  try {
    Object.defineProperty(ctx, 'acceptWebSocket', {
      configurable: true,
      value: (ws: WebSocket, tags?: string[]) => {
        countSends(ws, cls, id);
        accept(ws, tags);
      },
    });
    Object.defineProperty(ctx, 'getWebSockets', {
      configurable: true,
      value: (tag?: string) => {
        const sockets = tagged(tag);
        for (const ws of sockets) countSends(ws, cls, id);
        return sockets;
      },
    });
  } catch {
    // Sockets then count only when a message or close arrives on them.
  }
}
