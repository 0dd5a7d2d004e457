/** A Record&Play handle over a Janus WS session, for stack tests. */
import { expect } from 'vitest';
import { JanusWs } from '../support/janusWs.js';
import type { Stack } from '../support/stack.js';

export const RP = 'janus.plugin.recordplay';

export async function openRecordPlay(stack: Stack) {
  const janus = await JanusWs.connect(stack.wsUrl);
  const session = await janus.createSession();
  const handleId = await janus.attach(session, RP);
  /** The plugin message, answered by `success`, `ack` or an error. */
  const send = (body: Record<string, unknown>, jsep?: Record<string, unknown>) =>
    janus.request({ janus: 'message', session_id: session, handle_id: handleId, body, ...(jsep ? { jsep } : {}) });
  /** The event answering the request of transaction `tx`. */
  const event = (tx: string) =>
    janus.waitEvent((m) => m.janus === 'event' && m.transaction === tx, 15_000, `event of ${tx}`);
  /** An asynchronous request: acked, then the event answering it. */
  const ask = async (body: Record<string, unknown>, jsep?: Record<string, unknown>) => {
    const ack = await send(body, jsep);
    expect(ack.janus).toBe('ack');
    return event(ack.transaction);
  };
  return { janus, session, handleId, send, event, ask };
}
