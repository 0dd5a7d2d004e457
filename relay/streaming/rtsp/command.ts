import type { CommandOf } from '../../../shared/control/commands.js';
import type { CommandContext } from '../../commands/context.js';
import { Codes, RelayError } from '../../errors.js';
import type { Mountpoint } from '../mountpoint.js';
import { ifaceAddress } from '../multicast.js';
import { RtspError } from './connection.js';
import { RtspSource } from './source.js';
import { tracksToReceive } from './tracks.js';

/**
 * The edge gives up on a command after 10 s: a create still in progress by then would leave a
 * mountpoint nobody knows of, so it is abandoned (connection closed, sockets freed) after this.
 */
const CREATE_BUDGET_MS = 8000;

/**
 * `streaming.rtsp`: an RTSP mountpoint. DESCRIBE first (nothing is opened for a server that cannot
 * be reached or offers none of the wanted tracks, unless `failcheck` is false: then the creator's
 * codecs and the watchdog's retries), then the mountpoint's sockets, SETUP and PLAY to them; any failure closes the sockets and the connection. The source lives as long as the
 * mountpoint: its close sends TEARDOWN.
 */
export async function createRtspMountpoint(ctx: CommandContext, key: string, c: CommandOf<'streaming.rtsp'>) {
  if (ctx.isDraining()) throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is draining');
  // an interface this relay does not have opens nothing (Janus checks it before the stream exists)
  const localAddress =
    c.iface !== undefined
      ? ifaceAddress(c.iface, { ipv6: true, why: 'Invalid network interface configuration for stream' })
      : undefined;
  const url = new URL(c.url);
  const user = c.user ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = c.password ?? decodeURIComponent(url.password);
  const source = new RtspSource(
    {
      url: c.url,
      ...(user !== undefined ? { credentials: { user, password } } : {}),
      quirk: c.quirk,
      reconnectDelayMs: c.reconnectDelay * 1000,
      sessionTimeoutS: c.sessionTimeout,
      requestTimeoutMs: c.requestTimeout * 1000,
      connectTimeoutMs: c.connectTimeout * 1000,
      transport: c.transport,
      ...(localAddress !== undefined ? { localAddress } : {}),
      onInterleavedRtp: (index, packet) => mids[index] !== undefined && mount?.receiveRtp(mids[index], packet),
    },
    ctx.logger,
  );
  const kinds = (['audio', 'video'] as const).filter((k) => c[k] !== undefined);
  // where interleaved RTP goes: the mountpoint once it exists, each track to its stream
  let mount: Mountpoint | undefined;
  let mids: string[] = [];
  let created = false;
  let timedOut = false;
  const budget = setTimeout(() => {
    timedOut = true;
    void source.stop();
  }, CREATE_BUDGET_MS);
  try {
    const { tracks, offline } = await tracksToReceive(source, c, kinds);
    const codecOf = (t: (typeof tracks)[number]) => c[t.type]?.codec?.toLowerCase() ?? t.codec;
    const opened = await ctx.streaming.create(
      key,
      tracks.map((t, mindex) => ({
        type: t.type,
        mid: t.type === 'audio' ? 'a' : 'v',
        mindex,
        port: 0,
        rtcpport: 0,
        codec: codecOf(t),
        bufferKeyframe: c[t.type]?.bufferKeyframe ?? t.type === 'video',
      })),
      undefined,
      undefined,
      localAddress,
    );
    created = true;
    mount = ctx.streaming.get(key)!;
    mids = opened.media.map((m) => m.mid);
    // over TCP no RTCP port is latched: keyframe requests go on the track's RTCP channel
    mount.feedback = (mid, rtcp) => source.sendRtcp(mids.indexOf(mid), rtcp);
    const ports = opened.media.map((m) => ({ rtp: m.port, rtcp: m.rtcpport! }));
    if (offline)
      ctx.logger.info('rtsp server unreachable, mountpoint created (rtsp_failcheck false), retrying', { key });
    else await source.play(tracks, ports);
    if (timedOut) throw new RtspError('timed out');
    mount.onClose.push(() => void source.stop());
    const playing = mount;
    source.supervise(() => Math.min(...playing.info().map((s) => s.ageMs)), kinds, ports);
    ctx.logger.info('rtsp mountpoint playing', {
      key,
      url: url.host + url.pathname,
      tracks: tracks.length,
      transport: source.transport,
    });
    return {
      ip: opened.ip,
      media: tracks.map((t, i) => ({
        type: t.type,
        mid: opened.media[i]!.mid,
        pt: t.pt,
        codec: codecOf(t),
        rtpmap: t.rtpmap,
        ...(t.fmtp !== undefined ? { fmtp: t.fmtp } : {}),
        port: opened.media[i]!.port,
        ...(opened.media[i]!.rtcpport !== undefined ? { rtcpport: opened.media[i]!.rtcpport } : {}),
      })),
    };
  } catch (err) {
    await source.stop();
    if (created) await ctx.streaming.destroy(key);
    if (timedOut)
      throw new RelayError(Codes.UNKNOWN, `Error creating 'RTSP' stream: no answer in ${CREATE_BUDGET_MS} ms`);
    if (err instanceof RtspError) throw new RelayError(Codes.UNKNOWN, `Error creating 'RTSP' stream: ${err.message}`);
    throw err;
  } finally {
    clearTimeout(budget);
  }
}
