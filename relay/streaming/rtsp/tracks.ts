import type { CommandOf } from '../../../shared/control/commands.js';
import { RtspError } from './connection.js';
import type { RtspTrack } from './sdp.js';
import { pickTracks, type RtspSource } from './source.js';

type Kind = 'audio' | 'video';

/**
 * The tracks a new RTSP mountpoint receives: what the server DESCRIBEs, the first of each wanted kind.
 * With `failcheck: false` (Janus `rtsp_failcheck`) a server that cannot be reached or described now is
 * not an error: the tracks are the ones the creator described (`pt`, `rtpmap`), `offline`, and the
 * source's watchdog keeps trying. A server that answers but lacks a wanted kind is always an error.
 */
export async function tracksToReceive(
  source: RtspSource,
  c: CommandOf<'streaming.rtsp'>,
  kinds: readonly Kind[],
): Promise<{ tracks: RtspTrack[]; offline: boolean }> {
  let described: RtspTrack[];
  try {
    described = await source.describe();
  } catch (err) {
    if (c.failcheck || !(err instanceof RtspError)) throw err;
    return { tracks: kinds.map((k) => describedByCreator(c, k)), offline: true };
  }
  const tracks = pickTracks(described, kinds);
  const missing = kinds.filter((k) => !tracks.some((t) => t.type === k));
  if (missing.length > 0) throw new RtspError(`The RTSP server offers no ${missing.join(' or ')} track`);
  return { tracks, offline: false };
}

function describedByCreator(c: CommandOf<'streaming.rtsp'>, kind: Kind): RtspTrack {
  const wish = c[kind];
  if (wish?.pt === undefined || wish.rtpmap === undefined)
    throw new RtspError(`the server cannot be reached and no ${kind}pt/${kind}rtpmap describe the ${kind} track`);
  const codec = wish.codec ?? wish.rtpmap.split('/')[0]!;
  // the control URL is the server's to give: a reconnect DESCRIBEs again before any SETUP
  return { type: kind, pt: wish.pt, codec: codec.toLowerCase(), rtpmap: wish.rtpmap, control: c.url };
}
