import type { CommandOf } from '../../../shared/control/commands.js';
import type { StreamingSrtp } from '../../../shared/control/streaming.js';
import type { MediaEntry } from './schemas.js';
import type { MountStream } from './state.js';

type CreateCommand = CommandOf<'streaming.create'>;
type Opened = { media: Array<{ mid: string; port: number; rtcpport?: number; port2?: number; port3?: number }> };

/**
 * What the relay opens for a mountpoint's checked `media` entries: an RTP socket per audio/video
 * stream, one per data stream; each stream keeps its position in `media` as its mindex.
 */
export function relayStreams(
  media: MediaEntry[],
  srtp: StreamingSrtp | undefined,
): Pick<CreateCommand, 'media' | 'data' | 'srtp'> {
  const av: CreateCommand['media'] = [];
  const data: NonNullable<CreateCommand['data']> = [];
  media.forEach((e, mindex) => {
    const where = {
      mid: e.mid,
      mindex,
      port: e.port ?? 0,
      ...(e.mcast !== undefined ? { mcast: e.mcast } : {}),
      ...(e.iface !== undefined ? { iface: e.iface } : {}),
    };
    if (e.type === 'data') {
      data.push({ ...where, binary: e.datatype === 'binary', bufferMessage: e.buffermsg === true });
      return;
    }
    av.push({
      ...where,
      type: e.type as 'audio' | 'video',
      ...(e.rtcpport !== undefined ? { rtcpport: e.rtcpport } : {}),
      codec: e.codec!.toLowerCase(),
      ...(e.fmtp ? { fmtp: e.fmtp } : {}),
      ...(e.simulcast ? { port2: e.port2 ?? 0, port3: e.port3 ?? 0 } : {}),
      ...(e.svc ? { svc: true } : {}),
      bufferKeyframe: e.bufferkf ?? e.type === 'video',
    });
  });
  return { media: av, ...(data.length > 0 ? { data } : {}), ...(srtp ? { srtp } : {}) };
}

/** The mountpoint's streams as created, with the ports the relay opened (found by mid). */
export function mountStreams(media: MediaEntry[], opened: Opened): MountStream[] {
  return media.map((e, mindex) => {
    const ports = opened.media.find((p) => p.mid === e.mid)!;
    const common = { mindex, mid: e.mid, label: e.label ?? e.type, port: ports.port };
    if (e.type === 'data')
      return {
        ...common,
        type: 'data',
        binary: e.datatype === 'binary',
        buffermsg: e.buffermsg === true,
        bufferkf: false,
      };
    return {
      ...common,
      type: e.type as 'audio' | 'video',
      ...(e.msid !== undefined ? { msid: e.msid } : {}),
      pt: e.pt!,
      codec: e.codec!.toLowerCase(),
      ...(e.fmtp !== undefined ? { fmtp: e.fmtp } : {}),
      ...(ports.rtcpport !== undefined ? { rtcpport: ports.rtcpport } : {}),
      ...(e.simulcast ? { simulcast: true } : {}),
      ...(e.svc ? { svc: true } : {}),
      ...(ports.port2 !== undefined ? { port2: ports.port2 } : {}),
      ...(ports.port3 !== undefined ? { port3: ports.port3 } : {}),
      bufferkf: !e.simulcast && (e.bufferkf ?? e.type === 'video'),
    };
  });
}
