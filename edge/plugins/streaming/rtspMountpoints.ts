import { z } from 'zod';
import { parseJanus } from '../../../shared/janus/validate.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { stError, ST, StreamingError } from './errors.js';
import type { StreamingHost } from './host.js';
import type { CreateRequest, MountpointId } from './schemas.js';
import { mountpointIdentity } from './mountpointIdentity.js';
import type { HandleAddress, JanusData, MountpointState, MountStream } from './state.js';

/** What an rtsp create needs of the mountpoints (Mountpoints, which dispatches to it). */
export interface MountpointRegistry {
  readonly all: Map<MountpointId, MountpointState>;
  readonly host: StreamingHost;
  save(m: MountpointState): void;
}

const seconds = z.number().int().min(0).max(3600);

/** The `rtsp` options of `create` (janus_streaming.c 1.1.2 and janus.plugin.streaming.jcfg.sample). */
export const rtspCreateSchema = z.object({
  url: z.string().max(2048).optional(),
  rtsp_user: z.string().max(256).optional(),
  rtsp_pwd: z.string().max(256).optional(),
  rtsp_quirk: z.boolean().optional(),
  rtsp_failcheck: z.boolean().optional(),
  rtsp_reconnect_delay: seconds.optional(),
  rtsp_session_timeout: seconds.optional(),
  rtsp_timeout: seconds.optional(),
  rtsp_conn_timeout: seconds.optional(),
  /** Ours (Janus 1.1.2 has UDP only): `udp`, `tcp` (interleaved); absent, UDP then TCP after a 461. */
  rtsp_transport: z.enum(['udp', 'tcp']).optional(),
  audio: z.boolean().optional(),
  video: z.boolean().optional(),
  audiopt: z.number().int().min(0).max(127).optional(),
  audiortpmap: z.string().min(1).max(64).optional(),
  audiofmtp: z.string().max(1024).optional(),
  videopt: z.number().int().min(0).max(127).optional(),
  videortpmap: z.string().min(1).max(64).optional(),
  videofmtp: z.string().max(1024).optional(),
  videobufferkf: z.boolean().optional(),
  /** An interface name or IPv4/IPv6 address of the relay the RTSP connection and media sockets bind to. */
  rtspiface: z.string().max(64).optional(),
});
export type RtspCreate = z.infer<typeof rtspCreateSchema>;

/** Options an `rtsp` mountpoint does not build: refused (456), not ignored (Janus 1.1.2 ignores `media` here). */
const UNSUPPORTED_RTSP = ['media', 'threads', 'e2ee', 'data', 'srtpsuite', 'srtpcrypto', 'collision'];

function parsesAsUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

const cantCreate = (why: string) => stError(StreamingError.CANT_CREATE, `Can't add 'rtsp' stream: ${why}`);

/** Validates an `rtsp` create's own options before anything changes. */
export function checkRtspCreate(body: Record<string, unknown>): RtspCreate {
  const r = parseJanus(rtspCreateSchema, body, ST);
  for (const k of UNSUPPORTED_RTSP) if (body[k] !== undefined) throw cantCreate(`'${k}' is not supported`);
  if (r.audio !== true && r.video !== true)
    throw stError(StreamingError.CANT_CREATE, "Can't add 'rtsp' stream, no audio or video have to be streamed...");
  if (r.url === undefined) throw cantCreate('missing url');
  // the relay looks the interface up; an empty name is none anywhere (Janus's words)
  if (r.rtspiface === '')
    throw stError(StreamingError.CANT_CREATE, 'Invalid network interface configuration for stream');
  if (!/^rtsps?:\/\/[^/]/i.test(r.url) || !parsesAsUrl(r.url)) throw cantCreate(`'${r.url}' is not an rtsp:// URL`);
  // a mountpoint the server may not describe for a while offers viewers the creator's codecs
  if (r.rtsp_failcheck === false)
    for (const kind of ['audio', 'video'] as const)
      if (r[kind] === true && (r[`${kind}pt`] === undefined || r[`${kind}rtpmap`] === undefined))
        throw cantCreate(`rtsp_failcheck=false needs ${kind}pt and ${kind}rtpmap`);
  return r;
}

const trackWish = (rtpmap: string | undefined, pt: number | undefined, bufferKeyframe?: boolean) => ({
  ...(rtpmap !== undefined ? { codec: rtpmap.split('/')[0]!, rtpmap } : {}),
  ...(pt !== undefined ? { pt } : {}),
  ...(bufferKeyframe !== undefined ? { bufferKeyframe } : {}),
});

/**
 * Creates an `rtsp` mountpoint: the relay of the creator's region connects to the RTSP server and
 * receives the described tracks (audio mid `a`, video mid `v`, as Janus); `audiopt`/`audiortpmap`/
 * `audiofmtp` (and video's) override what the server described. From then on it is a mountpoint like
 * an `rtp` one (viewers, cascades, recording, destroy).
 */
export async function createRtspMountpoint(
  mounts: MountpointRegistry,
  c: CreateRequest,
  body: Record<string, unknown>,
  placement?: RelayRef,
  from?: HandleAddress,
): Promise<JanusData> {
  const r = checkRtspCreate(body);
  const host = mounts.host;
  let id = c.id ?? host.randomId();
  while (c.id === undefined && mounts.all.has(id)) id = host.randomId();
  const taken = () => stError(StreamingError.CANT_CREATE, 'A stream with the provided ID already exists');
  if (mounts.all.has(id)) throw taken();
  const home = placement ?? (await host.pickRelay());
  if (!home) throw stError(StreamingError.CANT_CREATE, 'No media relay available');
  const key = { sessionId: host.randomId(), handleId: host.randomId() };
  const opened = await host.relays
    .command(home, {
      op: 'streaming.rtsp',
      ...key,
      url: r.url!,
      ...(r.rtsp_user !== undefined ? { user: r.rtsp_user } : {}),
      ...(r.rtsp_pwd !== undefined ? { password: r.rtsp_pwd } : {}),
      quirk: r.rtsp_quirk ?? false,
      reconnectDelay: r.rtsp_reconnect_delay ?? 5,
      sessionTimeout: r.rtsp_session_timeout ?? 0,
      requestTimeout: Math.min(r.rtsp_timeout ?? 10, 8),
      connectTimeout: Math.min(r.rtsp_conn_timeout ?? 5, 5),
      transport: r.rtsp_transport ?? 'auto',
      failcheck: r.rtsp_failcheck ?? true,
      ...(r.rtspiface !== undefined ? { iface: r.rtspiface } : {}),
      ...(r.audio ? { audio: trackWish(r.audiortpmap, r.audiopt) } : {}),
      ...(r.video ? { video: trackWish(r.videortpmap, r.videopt, r.videobufferkf) } : {}),
    })
    .catch((err: unknown) => {
      throw stError(StreamingError.CANT_CREATE, err instanceof Error ? err.message : String(err));
    });
  if (mounts.all.has(id)) {
    // another create of the same id won the race while the relay worked
    void host.relays.command(home, { op: 'streaming.destroy', ...key }).catch(() => undefined);
    throw taken();
  }
  const streams: MountStream[] = opened.media.map((s, mindex) => {
    const pt = s.type === 'audio' ? r.audiopt : r.videopt;
    const fmtp = (s.type === 'audio' ? r.audiofmtp : r.videofmtp) ?? s.fmtp;
    return {
      mindex,
      type: s.type,
      mid: s.mid,
      label: s.type === 'audio' ? 'RTSP audio' : 'RTSP video',
      pt: pt ?? s.pt,
      codec: s.codec,
      ...(fmtp !== undefined ? { fmtp } : {}),
      port: s.port,
      ...(s.rtcpport !== undefined ? { rtcpport: s.rtcpport } : {}),
      bufferkf: s.type === 'video' && r.videobufferkf !== false,
    };
  });
  const m: MountpointState = {
    ...mountpointIdentity(c, id, String(id)),
    streams,
    home,
    host: opened.ip,
    key,
    viewers: [],
    cascades: [],
    rtsp: { url: r.url! },
  };
  mounts.all.set(id, m);
  mounts.save(m);
  host.pluginEvent({ event: 'created', id, type: 'live' }, from);
  return {
    streaming: 'created',
    created: m.name,
    permanent: false,
    stream: { id, type: 'live', description: m.description, is_private: m.is_private },
  };
}
