/** A stack for recording tests: it records under a fresh temporary root and posts plugin events, one by one, to a webhook. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from '../../blackbox/support/janus.js';
import { startStack, type Stack } from '../../support/stack.js';

export interface RecordingStack {
  stack: Stack;
  hook: Webhook;
  /** RECORDINGS_ROOT of the edge and the relay. */
  root: string;
  /** Stops the stack and the webhook, and removes the root. */
  stop(): Promise<void>;
}

/** Starts it (the root named `prefix`…, `env` of the root added to the stack's); what started is released if the rest fails. */
export async function startRecordingStack(
  prefix: string,
  env: (root: string) => Record<string, string> = () => ({}),
): Promise<RecordingStack> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  let hook: Webhook | undefined;
  let stack: Stack | undefined;
  const stop = async () => {
    try {
      await stack?.stop();
      await hook?.stop();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };
  try {
    hook = await new Webhook().start();
    stack = await startStack({
      EVENTS_URL: hook.url,
      EVENTS_MASK: 'plugins',
      EVENTS_GROUPING: 'false',
      RECORDINGS_ROOT: root,
      RELAY_RECORDINGS_ROOT: root,
      ...env(root),
    });
    return { stack, hook, root, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
