/**
 * The servers a benchmark measures, each started for one piece of work and stopped after it (or by
 * the cleanup on Ctrl-C): our stack as users run it (`npm start`), and the reference Janus.
 */
import { startReferenceJanus, type ReferenceJanus } from '../../test/support/janusReference.js';
import { hostAddress } from '../../test/support/referenceNet.js';
import { startStack } from '../../test/support/stack.js';
import { cleanup, cleanups } from './cleanup.js';
import { descendants } from './proc.js';

export interface ServerUnderTest {
  name: string;
  wsUrl: string;
  /** The process the media goes through (the relay, or janus). */
  serverPid: number;
  /** Every process of the server. */
  stackPids: () => number[];
  /** The address clients announce (the reference Janus will not pair loopback candidates). */
  clientAddress?: string;
}

/** Runs `use` on a fresh `npm start` stack (with `env` on top, e.g. a wider port range), then stops it. */
export async function withOurStack<T>(
  use: (server: ServerUnderTest) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const stack = await startStack({
    LOG_LEVEL: 'warn',
    // Every client is 127.0.0.1 here: the per-address limits would refuse a room of them.
    MAX_PEERS_PER_ADDRESS: '0',
    OFFERS_PER_SECOND_PER_ADDRESS: '0',
    ...env,
  });
  const stop = async () => void (await stack.stop());
  cleanups.push(stop);
  try {
    const relay = stack.relays[0];
    if (!relay) throw new Error('npm start reported no relay');
    return await use({
      name: 'ours (npm start)',
      wsUrl: stack.wsUrl,
      serverPid: relay.pid,
      stackPids: () => [stack.pid, ...descendants(stack.pid).map((p) => p.pid)],
    });
  } finally {
    await stop();
  }
}

/** Runs `use` on a fresh reference Janus (as `start` starts it: plain, or with a plugin's config), then stops it. */
export async function withReferenceJanus<T>(
  use: (server: ServerUnderTest) => Promise<T>,
  start: () => Promise<ReferenceJanus | undefined> = () => startReferenceJanus(),
): Promise<T> {
  const ref = await start();
  if (!ref) throw new Error('reference Janus could not be started');
  cleanups.push(() => ref.stop());
  try {
    return await use({
      name: 'reference Janus',
      wsUrl: ref.wsUrl,
      serverPid: ref.pid,
      stackPids: () => [ref.pid],
      clientAddress: hostAddress(),
    });
  } finally {
    ref.stop();
  }
}

/** Runs a benchmark's `main`: its error printed and the exit code set, every server stopped. */
export function runBench(main: () => Promise<void>): void {
  main()
    .catch((err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    })
    .finally(() => cleanup());
}
