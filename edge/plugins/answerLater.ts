import type { Jsep } from '../../shared/janus/requests.js';
import type { HandleContext, PluginResult } from './plugin.js';

/** What an asynchronous request ends with: its event, maybe a JSEP, and maybe the PeerConnection's end. */
export interface AsyncAnswer {
  data: Record<string, unknown>;
  jsep?: Jsep;
  /** Close the handle's PeerConnection after the event (Janus's close_pc). */
  hangup?: true;
}

/**
 * Janus answers an asynchronous plugin request from its handler thread: `ack` now, then the request's
 * event (with its transaction) once `work` is done, or its error as the plugin's error event.
 */
export function answerLater(
  ctx: HandleContext,
  transaction: string | undefined,
  work: Promise<AsyncAnswer>,
  errorEvent: (err: unknown) => Record<string, unknown>,
): PluginResult {
  void work.then(
    (r) => {
      ctx.pushEvent(r.data, r.jsep, transaction);
      if (r.hangup && ctx.media.hasPeer) ctx.media.close();
    },
    (err: unknown) => ctx.pushEvent(errorEvent(err), undefined, transaction),
  );
  return { kind: 'ack' };
}
