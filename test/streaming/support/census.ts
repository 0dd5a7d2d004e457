/** A relay's census as the Streaming tests read it (`/debug/resources`). */
import { relayDebug, type Stack } from '../../support/stack.js';

export interface StreamingResources {
  peers: number;
  remotePublishers: number;
  remotePortsInUse: number;
  forwarderSockets: number;
  udpHandles: number;
  socketFds: number;
  timers: number;
  streaming: { mountpoints: number; packetsIn: number; sockets: number };
}

export function resources(stack: Stack, region: string): Promise<StreamingResources> {
  const relay = stack.relays.find((r) => r.region === region);
  if (!relay) throw new Error(`no relay in region ${region}`);
  return relayDebug<StreamingResources>(stack, relay.httpUrl, '/debug/resources');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls an asynchronous condition (a relay census). */
export async function until<T>(
  pred: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
