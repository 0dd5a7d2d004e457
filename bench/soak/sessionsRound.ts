/**
 * One round of the soak benchmark's sessions phase: `count` WebSockets (janus-protocol, offering
 * permessage-deflate like a browser), each creating a session and attaching EchoTest; once all are
 * open they are destroyed abruptly (`terminate`, no destroy, no close handshake), as when a browser
 * tab crashes or a network drops. The server must end every session on its own.
 */
import { JanusConn, ok } from '../support/janusConn.js';

export interface RoundResult {
  opened: number;
  failed: number;
  firstError?: string;
  seconds: number;
}

const ECHO = 'janus.plugin.echotest';

export interface RoundOptions {
  count: number;
  concurrency: number;
  apisecret?: string;
  /** Offer permessage-deflate (browsers do). */
  deflate: boolean;
}

async function openOne(wsUrl: string, o: RoundOptions, conns: JanusConn[]): Promise<void> {
  const conn = await JanusConn.connect(wsUrl, { deflate: o.deflate });
  conns.push(conn);
  const secret = o.apisecret ? { apisecret: o.apisecret } : {};
  const id = ok(await conn.request({ janus: 'create', ...secret }), 'success', 'create').data?.id;
  ok(await conn.request({ janus: 'attach', session_id: id, plugin: ECHO, ...secret }), 'success', 'attach');
}

export async function sessionsRound(wsUrl: string, o: RoundOptions): Promise<RoundResult> {
  const { count, concurrency } = o;
  const t0 = performance.now();
  const conns: JanusConn[] = [];
  let next = 0;
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        await openOne(wsUrl, o, conns);
        opened++;
      } catch (err) {
        failed++;
        firstError ??= String(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    for (const c of conns) c.terminate();
  }
  return { opened, failed, firstError, seconds: (performance.now() - t0) / 1000 };
}
