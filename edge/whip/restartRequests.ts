import { HttpProblem } from './httpErrors.js';
import type { FoundResource } from './resource.js';

const VIDEOROOM = 'janus.plugin.videoroom';
const STREAMING = 'janus.plugin.streaming';

/**
 * The plugin requests that restart a resource's ICE, as a Janus client of that plugin sends them: the
 * one that carries the client's new offer (the relay answers it), and the one that asks for the
 * relay's ICE-restart offer (for a WHEP player that answered ours; `start` then carries its answer).
 */
export interface RestartRequests {
  withClientOffer: Record<string, unknown>;
  relayOffer: Record<string, unknown>;
}

/** The restart requests of a resource's handle, by its plugin (422 for one that has none). */
export function restartRequestsOf(r: FoundResource): RestartRequests {
  switch (r.plugin) {
    case VIDEOROOM:
      // a publisher, or a subscriber that offered first: `configure` with the offer; else `configure` `restart`
      return { withClientOffer: { request: 'configure' }, relayOffer: { request: 'configure', restart: true } };
    case STREAMING: {
      // `watch` of the mountpoint watched, with `restart` (Janus's restart of a viewer)
      const id = r.pluginSpecific?.mountpoint_id;
      if (typeof id !== 'number') throw new HttpProblem(409, 'The resource plays no mountpoint now');
      const watch = { request: 'watch', id, restart: true };
      return { withClientOffer: watch, relayOffer: watch };
    }
    default:
      throw new HttpProblem(422, 'ICE restarts of this resource are not supported');
  }
}
