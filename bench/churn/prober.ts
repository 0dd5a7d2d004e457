/**
 * The keepalive prober of bench:churn: its own WebSocket and session, a `keepalive` every `periodMs`,
 * the time to each `ack` recorded while the stats count.
 */
import { JanusConn, ok } from '../support/janusConn.js';
import type { ChurnStats } from './churner.js';

export async function keepaliveProber(
  wsUrl: string,
  apisecret: string | undefined,
  s: ChurnStats,
  periodMs: number,
  out: number[],
): Promise<void> {
  const secret = apisecret ? { apisecret } : {};
  const conn = await JanusConn.connect(wsUrl, { deflate: true });
  try {
    const sessionId = ok(await conn.request({ janus: 'create', ...secret }), 'success', 'create').data!.id!;
    while (!s.stopped) {
      const t0 = performance.now();
      try {
        const m = await conn.request({ janus: 'keepalive', session_id: sessionId, ...secret });
        if (m.janus !== 'ack') throw new Error(`keepalive: ${JSON.stringify(m).slice(0, 200)}`);
        if (s.counting) out.push(performance.now() - t0);
      } catch (err) {
        s.failed(err);
      }
      await new Promise((res) => setTimeout(res, periodMs));
    }
    await conn.request({ janus: 'destroy', session_id: sessionId, ...secret }).catch(() => undefined);
  } finally {
    await conn.close();
  }
}
