import type { CommandResult } from '../../../shared/control/commands.js';
import type { SfuSubscriberStream } from '../../../shared/control/sfu.js';
import type { Jsep } from '../../../shared/janus/requests.js';
import { stError, StreamingError } from './errors.js';

/** What a viewer's `peer.create` negotiated: the JSEP for the viewer and the m-lines that carry a stream. */
export interface ViewerNegotiation {
  jsep: Jsep;
  streams: SfuSubscriberStream[];
}

/**
 * The relay's reply to a viewer's `peer.create`: its offer (every requested stream on an m-line of
 * its own), or its answer to the viewer's offer, where a stream only has an m-line when the viewer
 * offered one of its kind and codec. An answer that carries nothing is refused (454), so a viewer
 * never waits on a PeerConnection that will stay silent.
 */
export function viewerNegotiation(res: CommandResult<'peer.create'>): ViewerNegotiation {
  const streams = 'streams' in res ? (res.streams as SfuSubscriberStream[] | undefined) : undefined;
  if (!streams) throw stError(StreamingError.UNKNOWN_ERROR, 'The relay gave no viewer streams');
  if ('offer' in res && res.offer) return { jsep: res.offer, streams };
  if (!('answer' in res) || !res.answer) throw stError(StreamingError.UNKNOWN_ERROR, 'The relay gave no SDP');
  const carried = streams.filter((s) => s.active && s.type !== 'data');
  if (carried.length === 0)
    throw stError(
      StreamingError.INVALID_ELEMENT,
      'No m-line of the offer can carry a stream of the mountpoint (kind or codec not offered)',
    );
  return { jsep: res.answer, streams: carried };
}
