import { JanusApiError } from '../../shared/janus/errors.js';

/** Builders for the JSON messages Janus sends (§1.4, §1.5); `session_id` only when > 0. */
export type JanusMessage = Record<string, unknown> & { janus: string };

export function reply(
  janus: string,
  transaction: string | undefined,
  sessionId?: number,
  extra?: Record<string, unknown>,
): JanusMessage {
  const m: JanusMessage = { janus };
  if (sessionId && sessionId > 0) m.session_id = sessionId;
  if (transaction !== undefined) m.transaction = transaction;
  return extra ? Object.assign(m, extra) : m;
}

export function errorReply(code: number, reason: string, transaction?: string, sessionId?: number): JanusMessage {
  return reply('error', transaction, sessionId, { error: { code, reason } });
}

export function errorFrom(err: unknown, transaction?: string, sessionId?: number): JanusMessage {
  if (err instanceof JanusApiError) return errorReply(err.code, err.message, transaction, sessionId);
  return errorReply(490, `Unknown error: ${err instanceof Error ? err.message : String(err)}`, transaction, sessionId);
}

/** Messages a transport sends right after a reply (never part of the reply itself). */
const FOLLOW_UPS = 'followUps';

export function withFollowUps(reply: JanusMessage, followUps: JanusMessage[]): JanusMessage {
  reply[FOLLOW_UPS] = followUps;
  return reply;
}

/** Detaches the follow-ups from a reply (an undefined field is not serialized) and returns them. */
export function takeFollowUps(m: JanusMessage): JanusMessage[] | undefined {
  const followUps = m[FOLLOW_UPS];
  if (!Array.isArray(followUps)) return undefined;
  m[FOLLOW_UPS] = undefined;
  return followUps as JanusMessage[];
}
