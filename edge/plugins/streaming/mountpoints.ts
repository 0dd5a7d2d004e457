import { parseJanus } from '../../../shared/janus/validate.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { StreamCascades } from './cascades.js';
import { mountStreams, relayStreams } from './createCommand.js';
import { noSuchMountpoint, stError, ST, StreamingError } from './errors.js';
import type { StreamingHost } from './host.js';
import * as S from './schemas.js';
import type { MountpointId } from './schemas.js';
import { linksInUse, type HandleAddress, type JanusData, type MountpointState } from './state.js';
import { mountpointIdentity } from './mountpointIdentity.js';
import { createRtspMountpoint } from './rtspMountpoints.js';
import { srtpOption } from './srtpOption.js';
import { checkCreateSupported } from './unsupported.js';

const RTPMAP: Record<string, string> = {
  opus: 'opus/48000/2',
  pcmu: 'PCMU/8000',
  pcma: 'PCMA/8000',
  g722: 'G722/8000',
  vp8: 'VP8/90000',
  vp9: 'VP9/90000',
  h264: 'H264/90000',
  av1: 'AV1/90000',
};

/** Ports as Janus lists them in `create`'s answer. */
const portsOf = (m: MountpointState) =>
  m.streams.map((s) => ({
    type: s.type,
    mid: s.mid,
    port: s.port,
    ...(s.rtcpport !== undefined ? { rtcp_port: s.rtcpport } : {}),
    ...(s.port2 !== undefined ? { port_2: s.port2 } : {}),
    ...(s.port3 !== undefined ? { port_3: s.port3 } : {}),
  }));

/**
 * The deployment's RTP mountpoints and their synchronous requests (list, info, create, destroy,
 * edit, enable, disable, kick, kick_all; `recording` is recording.ts). Every check happens before anything changes;
 * a mountpoint's sockets are opened on its relay before it exists, and closed when it goes.
 */
export class Mountpoints {
  readonly all = new Map<MountpointId, MountpointState>();
  readonly cascades: StreamCascades;
  /** Relay links asked to report their loss (every relay a mountpoint, cascade or viewer uses). */
  private watched = new Set<string>();

  constructor(readonly host: StreamingHost) {
    this.cascades = new StreamCascades(host, (m) => this.all.get(m.id) === m);
  }

  get(id: MountpointId): MountpointState {
    const m = this.all.get(id);
    if (!m) throw noSuchMountpoint(id);
    return m;
  }

  save(m: MountpointState): void {
    if (this.all.get(m.id) === m) this.host.save(m.id, m);
    this.watchLinks();
  }

  /** Keeps exactly the links in use watched (also after a restore: watching is idempotent). */
  watchLinks(): void {
    const now = linksInUse(this.all.values());
    for (const l of now) if (!this.watched.has(l)) this.host.watchLink(l);
    for (const l of this.watched) if (!now.has(l)) this.host.unwatchLink(l);
    this.watched = now;
  }

  /** Janus's secret rule: a mountpoint with a secret needs it (453 missing, 454 not a string, 457 wrong). */
  authorize(m: MountpointState, secret: unknown): void {
    if (m.secret === undefined) return;
    if (secret === undefined) throw stError(StreamingError.MISSING_ELEMENT, 'Missing mandatory element (secret)');
    if (typeof secret !== 'string')
      throw stError(StreamingError.INVALID_ELEMENT, 'Invalid element type (secret should be a string)');
    if (secret !== m.secret) throw stError(StreamingError.UNAUTHORIZED, 'Unauthorized (wrong secret)');
  }

  /** `placement`: the relay of the creator's region (none from admin `message_plugin`). */
  async create(body: Record<string, unknown>, placement?: RelayRef, from?: HandleAddress): Promise<JanusData> {
    const c = parseJanus(S.createSchema, body, ST);
    if (this.host.adminKey !== undefined) {
      if (c.admin_key === undefined)
        throw stError(StreamingError.MISSING_ELEMENT, 'Missing mandatory element (admin_key)');
      if (c.admin_key !== this.host.adminKey)
        throw stError(StreamingError.UNAUTHORIZED, 'Unauthorized (wrong admin_key)');
    }
    if (c.type === 'rtsp') return createRtspMountpoint(this, c, body, placement, from);
    const media = checkCreateSupported(c, body);
    const srtp = srtpOption(c);
    const mids = new Set(media.map((e) => e.mid));
    if (mids.size !== media.length) throw stError(StreamingError.CANT_CREATE, 'Duplicate mid in media');
    const id = c.id ?? this.freshId();
    if (this.all.has(id)) throw stError(StreamingError.CANT_CREATE, 'A stream with the provided ID already exists');
    const home = placement ?? (await this.host.pickRelay());
    if (!home) throw stError(StreamingError.CANT_CREATE, 'No media relay available');
    const key = { sessionId: this.host.randomId(), handleId: this.host.randomId() };
    const opened = await this.host.relays.command(home, {
      op: 'streaming.create',
      ...key,
      ...relayStreams(media, srtp),
    });
    if (this.all.has(id)) {
      // another create of the same id won the race while the relay worked
      void this.host.relays.command(home, { op: 'streaming.destroy', ...key }).catch(() => undefined);
      throw stError(StreamingError.CANT_CREATE, 'A stream with the provided ID already exists');
    }
    const streams = mountStreams(media, opened);
    const m: MountpointState = {
      ...mountpointIdentity(c, id, `mp-${id}`),
      streams,
      ...(srtp ? { srtp: true } : {}),
      home,
      host: opened.ip,
      key,
      viewers: [],
      cascades: [],
    };
    this.all.set(id, m);
    this.save(m);
    this.host.pluginEvent({ event: 'created', id, type: 'live' }, from);
    return {
      streaming: 'created',
      created: m.name,
      permanent: false,
      stream: {
        id,
        type: 'live',
        description: m.description,
        is_private: m.is_private,
        host: m.host,
        ports: portsOf(m),
      },
    };
  }

  private freshId(): MountpointId {
    let id = this.host.randomId();
    while (this.all.has(id)) id = this.host.randomId();
    return id;
  }

  /** Seconds since each stream last received, from the home relay (none when it cannot tell). */
  private async ages(m: MountpointState): Promise<Map<string, number>> {
    try {
      const info = await this.host.relays.command(m.home, { op: 'streaming.info', ...m.key });
      return new Map(info.media.filter((x) => x.ageMs !== undefined).map((x) => [x.mid, x.ageMs!]));
    } catch {
      return new Map();
    }
  }

  async list(): Promise<JanusData> {
    const shown = [...this.all.values()].filter((m) => !m.is_private);
    const ages = await Promise.all(shown.map((m) => this.ages(m)));
    return {
      streaming: 'list',
      list: shown.map((m, i) => ({
        id: m.id,
        type: 'live',
        description: m.description,
        ...(m.metadata !== undefined ? { metadata: m.metadata } : {}),
        enabled: m.enabled,
        media: m.streams.map((s) => ({
          mid: s.mid,
          type: s.type,
          label: s.label,
          ...(s.msid !== undefined ? { msid: s.msid } : {}),
          ...(ages[i]!.has(s.mid) ? { age_ms: ages[i]!.get(s.mid)! } : {}),
        })),
      })),
    };
  }

  /** With the right secret (or none set), the full details, as Janus. */
  async info(body: Record<string, unknown>): Promise<JanusData> {
    const r = parseJanus(S.withSecretSchema, body, ST);
    const m = this.get(r.id);
    const full = m.secret === undefined || r.secret === m.secret;
    const ages = await this.ages(m);
    return {
      streaming: 'info',
      info: {
        id: m.id,
        ...(full ? { name: m.name } : {}),
        description: m.description,
        ...(m.metadata !== undefined ? { metadata: m.metadata } : {}),
        ...(full && m.secret !== undefined ? { secret: m.secret } : {}),
        ...(full && m.pin !== undefined ? { pin: m.pin } : {}),
        ...(full && m.is_private ? { is_private: true } : {}),
        enabled: m.enabled,
        ...(full ? { viewers: m.viewers.length } : {}),
        type: 'live',
        media: m.streams.map((s) => ({
          mindex: s.mindex,
          type: s.type,
          mid: s.mid,
          label: s.label,
          ...(s.msid !== undefined ? { msid: s.msid } : {}),
          ...(s.codec !== undefined ? { pt: s.pt!, codec: s.codec, rtpmap: RTPMAP[s.codec] ?? s.codec } : {}),
          ...(s.fmtp !== undefined ? { fmtp: s.fmtp } : {}),
          ...(full ? { port: s.port } : {}),
          ...(full && s.rtcpport !== undefined ? { rtcpport: s.rtcpport } : {}),
          ...(s.simulcast ? { videosimulcast: true } : {}),
          ...(s.svc ? { videosvc: true } : {}),
          ...(full && s.port2 !== undefined ? { port2: s.port2 } : {}),
          ...(full && s.port3 !== undefined ? { port3: s.port3 } : {}),
          ...(ages.has(s.mid) ? { age_ms: ages.get(s.mid)! } : {}),
          ...(full && s.recording ? { recording: s.recording.filename } : {}),
        })),
        ...(full && m.rtsp ? { rtsp: true, url: m.rtsp.url } : {}),
        ...(m.srtp ? { srtp: true } : {}),
      },
    };
  }

  async destroy(body: Record<string, unknown>, from?: HandleAddress): Promise<JanusData> {
    const r = parseJanus(S.withSecretSchema, body, ST);
    const m = this.get(r.id);
    this.authorize(m, r.secret);
    if (body.permanent === true)
      throw stError(
        StreamingError.CANT_CREATE,
        'Permanent mountpoints are not supported (nothing to remove from a config file)',
      );
    await this.remove(m);
    this.host.pluginEvent({ event: 'destroyed', id: m.id }, from);
    return { streaming: 'destroyed', destroyed: m.id };
  }

  /** The one way a mountpoint goes (destroy, its relay lost): viewers stopped, cascades and sockets closed. */
  async remove(m: MountpointState): Promise<void> {
    this.all.delete(m.id);
    this.host.save(m.id, undefined);
    const viewers = m.viewers.splice(0);
    for (const v of viewers) void this.host.notify(v, { kind: 'st.removed' }).catch(() => undefined);
    this.cascades.prune(m);
    this.watchLinks();
    await this.host.relays
      .command(m.home, { op: 'streaming.destroy', ...m.key })
      .catch((err: unknown) =>
        this.host.log.warn('mountpoint already gone from its relay', { id: m.id, error: String(err) }),
      );
  }

  edit(body: Record<string, unknown>): JanusData {
    const e = parseJanus(S.editSchema, body, ST);
    const m = this.get(e.id);
    this.authorize(m, e.secret);
    if (e.permanent === true)
      throw stError(StreamingError.CANT_CREATE, 'Permanent mountpoints are not supported (no config file to save to)');
    if (e.new_description !== undefined) m.description = e.new_description;
    if (e.new_metadata !== undefined) m.metadata = e.new_metadata;
    if (e.new_secret !== undefined) m.secret = e.new_secret;
    // an empty new_pin removes the pin, as Janus
    if (e.new_pin !== undefined) m.pin = e.new_pin === '' ? undefined : e.new_pin;
    if (e.new_is_private !== undefined) m.is_private = e.new_is_private;
    this.save(m);
    return { streaming: 'edited', id: m.id, permanent: false };
  }

  /** enable / disable: a disabled mountpoint takes no new viewers (Janus keeps those it has). */
  setEnabled(body: Record<string, unknown>, enabled: boolean): JanusData {
    const r = parseJanus(S.withSecretSchema, body, ST);
    const m = this.get(r.id);
    this.authorize(m, r.secret);
    m.enabled = enabled;
    this.save(m);
    return { streaming: 'ok' };
  }

  /**
   * `kick_all` (Janus 1.1.2: `kicked_all`), and `kick`, our addition (Janus 1.1.2 has none): one
   * viewer, named by its handle id.
   */
  kick(body: Record<string, unknown>, all: boolean, from?: HandleAddress): JanusData {
    const r = parseJanus(S.withSecretSchema, body, ST);
    const viewer = all ? undefined : parseJanus(S.kickSchema, body, ST).viewer;
    const m = this.get(r.id);
    this.authorize(m, r.secret);
    const gone = m.viewers.filter((v) => all || v.handleId === viewer);
    if (!all && gone.length === 0) throw stError(StreamingError.NO_SUCH_MOUNTPOINT, `No such viewer ${viewer}`);
    m.viewers = m.viewers.filter((v) => !gone.includes(v));
    this.cascades.prune(m);
    this.save(m);
    for (const v of gone) void this.host.notify(v, { kind: 'st.removed' }).catch(() => undefined);
    if (all) this.host.pluginEvent({ event: 'kicked_all', id: m.id }, from);
    return all ? { streaming: 'kicked_all' } : { streaming: 'kicked', id: m.id, viewer: viewer! };
  }
}
