import { parseJanus } from '../../../shared/janus/validate.js';
import { stError, ST, StreamingError } from './errors.js';
import { mediaEntrySchema, type CreateRequest, type MediaEntry } from './schemas.js';

/** Options of a `media` entry we do not build: refused (456) rather than accepted and ignored. */
const UNSUPPORTED_MEDIA = ['srtpsuite', 'srtpcrypto', 'skew'];

/** An IPv4 multicast address (224.0.0.0/4), the only kind of group Janus joins. */
const isIpv4Multicast = (a: string) => /^(22[4-9]|23\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(a);
/** Mountpoint-level options we do not build (the old audio/video syntax, SRTP, e2ee, data buffering…). */
const UNSUPPORTED_CREATE = ['audio', 'video', 'data', 'e2ee', 'threads', 'collision', 'playoutdelay_ext', 'url'];

const cantCreate = (why: string) => stError(StreamingError.CANT_CREATE, why);

/**
 * Simulcast: video only (the missing substream ports are picked, as the reference does); the
 * substream ports without `simulcast` would be ignored, so they are refused.
 */
function checkSimulcast(entry: MediaEntry, i: number): void {
  if (entry.simulcast !== true) {
    if (entry.port2 !== undefined || entry.port3 !== undefined)
      throw cantCreate(`Can't add 'rtp' stream: port2/port3 (media ${i}) need simulcast`);
    return;
  }
  if (entry.type !== 'video') throw cantCreate(`Can't add 'rtp' stream: simulcast (media ${i}) is for video`);
}

/**
 * SVC: VP9 video only (the reference warns and drops it on other codecs; we refuse rather than
 * ignore it), and not with simulcast (one selection per viewer m-line).
 */
function checkSvc(entry: MediaEntry, i: number): void {
  if (entry.svc !== true) return;
  if (entry.type !== 'video' || entry.codec?.toLowerCase() !== 'vp9')
    throw cantCreate(`Can't add 'rtp' stream: svc (media ${i}) is only supported for VP9 video`);
  if (entry.simulcast === true) throw cantCreate(`Can't add 'rtp' stream: svc and simulcast (media ${i}) together`);
}

/**
 * A data stream: text or binary (454 otherwise). Its own `datatype`/`buffermsg`, else the
 * mountpoint's: Janus 1.1.2 reads these two from the request's top level for every data entry (and
 * ignores the entry's own, a slip we do not copy). Several data streams may share a mountpoint, each
 * on its own port, as in Janus.
 */
function checkData(entry: MediaEntry, c: CreateRequest): MediaEntry {
  const datatype = entry.datatype ?? c.datatype;
  if (datatype !== undefined && datatype !== 'text' && datatype !== 'binary')
    throw stError(StreamingError.INVALID_ELEMENT, 'Invalid element (datatype can only be text or binary)');
  const buffermsg = entry.buffermsg ?? c.buffermsg;
  return {
    ...entry,
    ...(datatype !== undefined ? { datatype } : {}),
    ...(buffermsg !== undefined ? { buffermsg } : {}),
  };
}

/**
 * What `create` asks for beyond what we build is refused with Janus's "can't create" code: other
 * mountpoint types (`rtsp`, `live`, `ondemand`), `permanent` (our mountpoints live in a Durable
 * Object, not in a config file), SVC other than VP9's.
 */
export function checkCreateSupported(c: CreateRequest, body: Record<string, unknown>): MediaEntry[] {
  if (c.type !== 'rtp') {
    if (['rtsp', 'live', 'ondemand'].includes(c.type))
      throw cantCreate(`Can't add '${c.type}' stream: '${c.type}' mountpoints are not supported`);
    throw stError(StreamingError.INVALID_ELEMENT, `Unknown stream type '${c.type}'...\n`);
  }
  if (c.permanent === true)
    throw cantCreate("Can't add a permanent mountpoint: mountpoints persist in the deployment, not in a config file");
  for (const k of UNSUPPORTED_CREATE)
    if (body[k] !== undefined && body[k] !== false) throw cantCreate(`Can't add 'rtp' stream: '${k}' is not supported`);
  if (!c.media || c.media.length === 0)
    throw cantCreate("Can't add 'rtp' stream, no audio or video have to be streamed...");
  return c.media.map((raw, i) => {
    const entry = parseJanus(mediaEntrySchema, raw, ST);
    const r = raw as Record<string, unknown>;
    for (const k of UNSUPPORTED_MEDIA)
      if (r[k] !== undefined && r[k] !== false)
        throw cantCreate(`Can't add 'rtp' stream: '${k}' (media ${i}) is not supported`);
    if (entry.type === 'data') return checkData(entry, c);
    if (entry.type !== 'audio' && entry.type !== 'video')
      throw stError(StreamingError.INVALID_ELEMENT, `Invalid element (type of media ${i} should be audio|video|data)`);
    // the reference ignores a group it cannot join (and binds unicast): we refuse it
    if (entry.mcast !== undefined && !isIpv4Multicast(entry.mcast))
      throw cantCreate(`Can't add 'rtp' stream: invalid multicast group (media ${i}, IPv4 only)`);
    checkSimulcast(entry, i);
    if (entry.pt === undefined || entry.codec === undefined)
      throw cantCreate(
        `Can't add 'rtp' stream '${entry.mid}', missing mandatory information for audio/video stream...`,
      );
    checkSvc(entry, i);
    return entry;
  });
}
