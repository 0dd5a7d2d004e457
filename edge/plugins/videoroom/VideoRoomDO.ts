import { DurableObject } from 'cloudflare:workers';
import type { CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { LinkRelayClient, type CommandArgs, type RelayClient } from '../../relays/relayClient.js';
import { Stubs } from '../../stubs.js';
import type { SfuPeerEvent } from '../../../shared/control/sfu.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { constantTimeEqual, verifySignedToken } from '../../auth/signedToken.js';
import { loadConfig, type EdgeConfig } from '../../config.js';
import { randomSafeInt, shardName, shardOf } from '../../coordinator/ids.js';
import type { RelayRef } from '../../coordinator/session.js';
import type { Env } from '../../env.js';
import { Logger } from '../../log.js';
import { VideoRoomError, vrError, VideoRoomException } from './errors.js';
import { Cascades } from './cascades.js';
import { remoteForwardStreams, remoteStreamsOf } from './remoteWire.js';
import { checksAllowed, normalizeOptions, participantEntry, publisherEntry, roomSummary, sameHandle, videoRoomObjectName, type Forwarder, type HandleAddress, type Publisher, type PubStream, type Remotization, type RoomState, type SubStream, type Subscriber } from './state.js';
import * as S from './schemas.js';
import type { FeedId, RoomId } from './schemas.js';

export type Outcome<T = Record<string, unknown>> = { ok: T; error?: undefined } | { ok?: undefined; error: { code: number; reason: string } };

/** What the room asks of a participant's handle (delivered through its session shard). */
export type RoomCall =
  | { kind: 'event'; data: Record<string, unknown> }
  /** The participant was removed by the room (kick, room destroyed): drop its state and PeerConnection. */
  | { kind: 'removed'; data: Record<string, unknown> }
  /** Feeds this subscriber receives went away: renegotiate without them (autoupdate). */
  | { kind: 'feedsGone'; feedIds: FeedId[] };

const VR = { missing: VideoRoomError.MISSING_ELEMENT, invalid: VideoRoomError.INVALID_ELEMENT };
const FLUSH_MS = 50;
/** SDES keying of a request, when both halves are there. */
function srtpOf(r: { srtp_suite?: 32 | 80; srtp_crypto?: string }): { srtp?: { suite: 32 | 80; crypto: string } } {
  return r.srtp_suite !== undefined && r.srtp_crypto !== undefined ? { srtp: { suite: r.srtp_suite, crypto: r.srtp_crypto } } : {};
}
/** Codecs a remote publisher may declare (what the relay's SFU can forward). */
const REMOTE_CODECS = { audio: ['opus', 'pcmu', 'pcma', 'g722'], video: ['vp8', 'vp9', 'h264', 'av1'] };

/** The room's talking-detection settings (§5.1 audiolevel_*), for a publisher's relay peer. */
export interface AudioLevelSettings {
  ext: boolean;
  event: boolean;
  packets?: number;
  average?: number;
}

/**
 * One VideoRoom (§5): owns the room's configuration, its participants (publishers and their
 * streams), subscribers and forwarders. Requests arrive from the plugin in the participants'
 * session shards; notifications go back through those shards. Nothing here waits on media: the
 * plugin negotiates with relays and reports the outcome.
 */
export class VideoRoomDO extends DurableObject<Env> {
  private readonly config: EdgeConfig;
  private readonly log: Logger;
  private readonly stubs: Stubs;
  private readonly relays: RelayClient;
  private state?: RoomState;
  private flushTimer?: ReturnType<typeof setTimeout>;
  private readonly cascades: Cascades;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = loadConfig(env);
    this.log = new Logger(this.config.logLevel, 'videoroom');
    this.stubs = new Stubs(env, this.config.shardCount);
    this.relays = new LinkRelayClient(this.stubs);
    this.cascades = new Cascades({
      state: () => this.state,
      relayCall: (relay, cmd) => this.relayCall(relay, cmd),
      save: () => this.save(),
      linksChanged: () => this.watchLinks(),
      log: this.log,
    });
    ctx.blockConcurrencyWhile(async () => {
      this.state = await ctx.storage.get<RoomState>('room');
    });
  }

  // ---------------------------------------------------------------- plumbing

  private async run<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
    try {
      return { ok: await fn() };
    } catch (err) {
      const code = (err as { code?: number }).code;
      return { error: { code: typeof code === 'number' ? code : VideoRoomError.UNKNOWN_ERROR, reason: err instanceof Error ? err.message : String(err) } };
    }
  }

  private room(): RoomState {
    if (!this.state) throw vrError(VideoRoomError.NO_SUCH_ROOM, `No such room (${this.name ?? '?'})`);
    return this.state;
  }

  /** The room id this object is named by, for error texts before the room exists. */
  private name?: RoomId;

  /** Every entry point names the room it expects, so errors can say which one is missing. */
  private remember(room: unknown): void {
    if (typeof room === 'number' || typeof room === 'string') this.name ??= room;
  }

  private save(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      if (this.state) void this.ctx.storage.put('room', this.state, { allowUnconfirmed: true });
      else void this.ctx.storage.delete('room', { allowUnconfirmed: true });
    }, FLUSH_MS);
  }

  private checkSecret(secret: string | undefined): void {
    const want = this.room().options.secret;
    if (want === undefined) return;
    // Janus's JANUS_CHECK_SECRET: absent is a missing element, different is unauthorized.
    if (secret === undefined) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (secret)');
    if (!constantTimeEqual(secret, want)) throw vrError(VideoRoomError.UNAUTHORIZED, 'Unauthorized (wrong secret)');
  }

  private call(to: HandleAddress, call: RoomCall): Promise<void> {
    return this.stubs.shardOfSession(to.sessionId).pluginCall(to.sessionId, to.handleId, call).catch(() => undefined);
  }

  /** Tells every participant except `except` (publishers and, with notify_joining, the rest). */
  private broadcast(data: Record<string, unknown>, except?: HandleAddress): void {
    for (const p of this.room().publishers) if (!p.remote && (!except || !sameHandle(p, except))) void this.call(p, { kind: 'event', data });
  }

  private findPublisher(who: HandleAddress): Publisher | undefined {
    return this.state?.publishers.find((p) => sameHandle(p, who));
  }

  private findSubscriber(who: HandleAddress): Subscriber | undefined {
    return this.state?.subscribers.find((s) => sameHandle(s, who));
  }

  private roomIndex() {
    return this.stubs.core();
  }

  // ---------------------------------------------------------------- synchronous requests

  async create(room: RoomId, body: Record<string, unknown>): Promise<Outcome> {
    return this.run(async () => {
      if (this.state) throw vrError(VideoRoomError.ROOM_EXISTS, `Room ${room} already exists`);
      const o = parseJanus(S.createSchema, body, VR);
      const { room: _r, permanent, admin_key: _k, allowed, ...options } = o;
      this.state = { room, options: normalizeOptions(options), permanent: permanent ?? false, createdAt: Date.now(), allowed, publishers: [], subscribers: [], forwarders: [], nextForwarderId: 1 };
      this.save();
      await this.roomIndex().roomCreated(room);
      return { videoroom: 'created', room, permanent: permanent ?? false };
    });
  }

  async summary(): Promise<Record<string, unknown> | undefined> {
    return this.state ? roomSummary(this.state) : undefined;
  }

  async sync(request: string, body: Record<string, unknown>): Promise<Outcome> {
    this.remember(body.room);
    return this.run(async () => {
      switch (request) {
        case 'exists': {
          const { room } = parseJanus(S.roomOnlySchema, body, VR);
          return { videoroom: 'success', room, exists: this.state !== undefined };
        }
        case 'edit':
          return this.edit(body);
        case 'destroy':
          return this.destroy(body);
        case 'allowed':
          return this.allowedRequest(body);
        case 'kick':
          return this.kick(body);
        case 'moderate':
          return this.moderate(body);
        case 'enable_recording': {
          const { room, secret } = parseJanus(S.enableRecordingSchema, body, VR);
          this.room();
          this.checkSecret(secret);
          throw vrError(VideoRoomError.UNKNOWN_ERROR, `Recording is not supported yet (room ${room})`);
        }
        case 'listparticipants': {
          const { room } = parseJanus(S.roomOnlySchema, body, VR);
          return { videoroom: 'participants', room, participants: this.room().publishers.map(participantEntry) };
        }
        case 'add_remote_publisher':
          return this.addRemotePublisher(body);
        case 'update_remote_publisher':
          return this.updateRemotePublisher(body);
        case 'remove_remote_publisher':
          return this.removeRemotePublisher(body);
        case 'publish_remotely':
          return this.publishRemotely(body);
        case 'unpublish_remotely':
          return this.unpublishRemotely(body);
        case 'listremotes':
        case 'list_remotes':
          return this.listRemotes(body);
        case 'listforwarders': {
          const { room, secret } = parseJanus(S.roomSecretSchema, body, VR);
          this.room();
          this.checkSecret(secret);
          return { videoroom: 'forwarders', room, publishers: this.forwardersByPublisher() };
        }
        default:
          throw vrError(VideoRoomError.INVALID_REQUEST, `Unknown request '${request}'`);
      }
    });
  }

  private edit(body: Record<string, unknown>): Record<string, unknown> {
    const e = parseJanus(S.editSchema, body, VR);
    const r = this.room();
    this.checkSecret(e.secret);
    const o = r.options;
    if (e.new_description !== undefined) o.description = e.new_description;
    if (e.new_secret !== undefined) o.secret = e.new_secret;
    if (e.new_pin !== undefined) o.pin = e.new_pin;
    if (e.new_is_private !== undefined) o.is_private = e.new_is_private;
    if (e.new_require_pvtid !== undefined) o.require_pvtid = e.new_require_pvtid;
    if (e.new_bitrate !== undefined) o.bitrate = e.new_bitrate > 0 && e.new_bitrate < 64000 ? 64000 : e.new_bitrate;
    if (e.new_fir_freq !== undefined) o.fir_freq = e.new_fir_freq;
    if (e.new_publishers !== undefined) o.publishers = e.new_publishers;
    if (e.new_lock_record !== undefined) o.lock_record = e.new_lock_record;
    if (e.new_rec_dir !== undefined) o.rec_dir = e.new_rec_dir;
    if (e.permanent !== undefined) r.permanent = e.permanent;
    this.save();
    return { videoroom: 'edited', room: r.room, permanent: r.permanent };
  }

  private async destroy(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { secret } = parseJanus(S.roomSecretSchema, body, VR);
    const r = this.room();
    this.checkSecret(secret);
    const everyone: HandleAddress[] = [...r.publishers.filter((p) => !p.remote), ...r.subscribers];
    const remotes = r.publishers.filter((p) => p.remote && p.relay);
    const cascades = r.cascades ?? [];
    this.state = undefined;
    // Janus #3508: a room destroyed without remove_remote_publisher must still free the ports.
    await Promise.all([
      ...remotes.map((p) => this.relayCall(p.relay!, { op: 'sfu.remoteRemove', sessionId: p.sessionId, handleId: p.handleId }).catch(() => undefined)),
      this.cascades.closeAll(cascades),
    ]);
    for (const linkId of r.watched ?? []) void this.link(linkId).unwatch(videoRoomObjectName(r.room)).catch(() => undefined);
    this.save();
    await this.roomIndex().roomDestroyed(r.room);
    for (const who of everyone) void this.call(who, { kind: 'removed', data: { videoroom: 'destroyed', room: r.room } });
    return { videoroom: 'destroyed', room: r.room, permanent: r.permanent };
  }

  private allowedRequest(body: Record<string, unknown>): Record<string, unknown> {
    const a = parseJanus(S.allowedSchema, body, VR);
    const r = this.room();
    this.checkSecret(a.secret);
    // As Janus: enable/disable only switch the check, the tokens stay; add/remove without a list change nothing.
    const tokens = r.allowed ?? [];
    switch (a.action) {
      case 'enable':
        r.checkAllowed = true;
        break;
      case 'disable':
        r.checkAllowed = false;
        break;
      case 'add':
        if (a.allowed) r.checkAllowed = checksAllowed(r);
        if (a.allowed) r.allowed = [...new Set([...tokens, ...a.allowed])];
        break;
      case 'remove':
        if (a.allowed) r.checkAllowed = checksAllowed(r);
        if (a.allowed) r.allowed = tokens.filter((t) => !a.allowed!.includes(t));
        break;
    }
    this.save();
    const out: Record<string, unknown> = { videoroom: 'success', room: r.room };
    if (a.action !== 'disable') out.allowed = r.allowed ?? [];
    return out;
  }

  private kick(body: Record<string, unknown>): Record<string, unknown> {
    const k = parseJanus(S.kickSchema, body, VR);
    const r = this.room();
    this.checkSecret(k.secret);
    const p = r.publishers.find((x) => x.id === k.id);
    if (!p) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such user ${k.id} in room ${r.room}`);
    if (p.remote) {
      void this.dropRemotePublisher(p);
      return { videoroom: 'success' };
    }
    this.removePublisher(p);
    void this.call(p, { kind: 'removed', data: { videoroom: 'event', room: r.room, leaving: 'ok', reason: 'kicked' } });
    this.broadcast({ videoroom: 'event', room: r.room, kicked: p.id }, p);
    return { videoroom: 'success' };
  }

  /**
   * `moderate` (§5.2): records the mute, has the publisher's relay stop (or resume) forwarding the
   * stream, and tells everyone, the target included. The relay is asked before answering, so media
   * is held back once the moderator has the `success`.
   */
  private async moderate(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const m = parseJanus(S.moderateSchema, body, VR);
    const r = this.room();
    this.checkSecret(m.secret);
    const p = r.publishers.find((x) => x.id === m.id);
    if (!p) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such user ${m.id} in room ${r.room}`);
    const s = p.streams?.find((x) => x.mid === m.mid);
    if (!s) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such mid ${m.mid} for user ${m.id}`);
    s.moderated = m.mute;
    this.save();
    if (p.relay) {
      // The publisher's PeerConnection may be gone meanwhile: the room's state stands, nothing flows anyway.
      await this.relayCall(p.relay, { op: 'sfu.moderate', sessionId: p.sessionId, handleId: p.handleId, mid: m.mid, mute: m.mute }).catch((err: unknown) =>
        this.log.warn('relay did not apply moderation', { room: r.room, id: p.id, mid: m.mid, code: (err as { code?: number }).code, reason: err instanceof Error ? err.message : String(err) }),
      );
    }
    const data = { videoroom: 'event', room: r.room, id: p.id, mid: m.mid, moderation: m.mute ? 'muted' : 'unmuted' };
    this.broadcast(data);
    return { videoroom: 'success' };
  }

  private forwardersByPublisher(): Record<string, unknown>[] {
    const r = this.room();
    const by = new Map<FeedId, Forwarder[]>();
    for (const f of r.forwarders) by.set(f.publisherId, [...(by.get(f.publisherId) ?? []), f]);
    return [...by].map(([publisher_id, list]) => ({
      publisher_id,
      forwarders: list.map((f) => ({ stream_id: f.streamId, type: f.type, host: f.host, port: f.port, ...(f.rtcpPort ? { remote_rtcp_port: f.rtcpPort } : {}), ...(f.ssrc !== undefined ? { ssrc: f.ssrc } : {}), ...(f.pt !== undefined ? { pt: f.pt } : {}), srtp: f.srtp })),
    }));
  }

  /** Validates an rtp_forward; the plugin then asks the publisher's relay to forward. */
  async prepareForward(body: Record<string, unknown>): Promise<Outcome<{ publisher: HandleAddress; relay: RelayRef }>> {
    this.remember(body.room);
    return this.run(() => {
      const f = parseJanus(S.rtpForwardSchema, body, VR);
      const r = this.room();
      this.checkSecret(f.secret);
      const p = r.publishers.find((x) => x.id === f.publisher_id);
      if (!p || !p.streams || !p.relay) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${f.publisher_id})`);
      for (const s of f.streams) if (!p.streams.some((x) => x.mid === s.mid && !x.disabled)) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such stream (${s.mid})`);
      return { publisher: { sessionId: p.sessionId, handleId: p.handleId }, relay: p.relay };
    });
  }

  /** The relay runs the forwarders: record them (their stream ids are the room's). */
  async forwardersAdded(publisherId: FeedId, list: Omit<Forwarder, 'streamId' | 'publisherId'>[]): Promise<Outcome> {
    return this.run(() => {
      const r = this.room();
      if (!r.publishers.some((p) => p.id === publisherId && p.streams)) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${publisherId})`);
      const added = list.map((f) => ({ ...f, publisherId, streamId: r.nextForwarderId++ }));
      r.forwarders.push(...added);
      this.save();
      return {
        videoroom: 'rtp_forward',
        room: r.room,
        publisher_id: publisherId,
        forwarders: added.map((f) => ({ stream_id: f.streamId, type: f.type, host: f.host, port: f.port, ...(f.ssrc !== undefined ? { ssrc: f.ssrc } : {}), ...(f.pt !== undefined ? { pt: f.pt } : {}), srtp: f.srtp })),
      };
    });
  }

  /** Forgets a forwarder and says which relay forwarder to stop. */
  async stopForward(body: Record<string, unknown>): Promise<Outcome<{ data: Record<string, unknown>; stop?: { relay: RelayRef; publisher: HandleAddress; id: number } }>> {
    this.remember(body.room);
    return this.run(() => {
      const s = parseJanus(S.stopRtpForwardSchema, body, VR);
      const r = this.room();
      this.checkSecret(s.secret);
      const i = r.forwarders.findIndex((f) => f.publisherId === s.publisher_id && f.streamId === s.stream_id);
      if (i < 0) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such stream (${s.stream_id})`);
      const [f] = r.forwarders.splice(i, 1);
      this.save();
      const p = r.publishers.find((x) => x.id === f!.publisherId);
      const data = { videoroom: 'stop_rtp_forward', room: r.room, publisher_id: s.publisher_id, stream_id: s.stream_id };
      return { data, stop: p?.relay ? { relay: p.relay, publisher: { sessionId: p.sessionId, handleId: p.handleId }, id: f!.relayForwarderId } : undefined };
    });
  }

  // ---------------------------------------------------------------- remote publishers (§5.7)

  /** One command to a relay; its error (code, reason) becomes the request's error. */
  private relayCall<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    return this.relays.command(relay, cmd);
  }

  private link(linkId: string) {
    return this.stubs.relayLink(linkId);
  }

  /**
   * Keeps the relay links holding the room's remote publishers and cascades reporting their loss
   * here ({@link relayLost}), and only those.
   */
  private watchLinks(): void {
    const r = this.state;
    if (!r) return;
    const now = new Set([...r.publishers.filter((p) => p.remote && p.relay).map((p) => p.relay!.linkId), ...this.cascades.links()]);
    const before = new Set(r.watched ?? []);
    if (now.size === before.size && [...now].every((l) => before.has(l))) return;
    const name = videoRoomObjectName(r.room);
    for (const l of now) if (!before.has(l)) void this.link(l).watch(name).catch(() => undefined);
    for (const l of before) if (!now.has(l)) void this.link(l).unwatch(name).catch(() => undefined);
    r.watched = [...now];
    this.save();
  }

  /**
   * RPC from a RelayLink this room watches: the relay is gone. Its remote publishers leave the room
   * (participants get `leaving`, subscribers an updated offer) and cascades from or to it close.
   */
  async relayLost(linkId: string): Promise<void> {
    const r = this.state;
    if (!r) return;
    for (const p of r.publishers.filter((x) => x.remote && x.relay?.linkId === linkId)) {
      p.relay = undefined;
      await this.dropRemotePublisher(p);
    }
    this.cascades.relayLost(linkId);
    this.watchLinks();
  }

  private findRemote(id: FeedId): Publisher {
    const p = this.room().publishers.find((x) => x.id === id && x.remote && x.streams);
    if (!p) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such remote publisher (${id})`);
    return p;
  }

  /** Validates a remote stream list entry by entry, with Janus's codes and texts, before anything is opened. */
  private static parseRemoteStreams(raw: unknown[], allowEmpty = false): S.RemoteStream[] {
    if (raw.length === 0 && !allowEmpty) throw vrError(VideoRoomError.INVALID_ELEMENT, "Invalid element value (streams can't be empty)");
    return raw.map((entry) => {
      const s = parseJanus(S.remoteStreamSchema, entry, VR);
      if (s.type !== 'audio' && s.type !== 'video' && s.type !== 'data') throw vrError(VideoRoomError.INVALID_ELEMENT, 'Invalid element value (type)');
      if (s.type !== 'data' && !s.disabled) {
        if (!s.codec) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (codec)');
        if (!REMOTE_CODECS[s.type].includes(s.codec.toLowerCase())) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Invalid element value (unsupported codec)');
      }
      return s as S.RemoteStream;
    });
  }

  /** The relay's view of remote streams, with the room's descriptions kept. */
  private static remoteStreams(streams: S.RemoteStream[]) {
    return remoteStreamsOf(streams.map((s) => ({ ...s, type: s.type as PubStream['type'] })));
  }

  private static describe(streams: PubStream[], req: S.RemoteStream[], before: PubStream[] = []): PubStream[] {
    return streams.map((s) => {
      const description = req.find((x) => x.mid === s.mid)?.description ?? before.find((x) => x.mid === s.mid)?.description;
      return description ? { ...s, description } : s;
    });
  }

  /**
   * `add_remote_publisher`: the id is reserved first, then the room's relay opens the RTP and RTCP
   * sockets; the publisher is announced at once (before media). A failure releases the reservation.
   */
  private async addRemotePublisher(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const a = parseJanus(S.addRemotePublisherSchema, body, VR);
    const r = this.room();
    this.checkSecret(a.secret);
    const streams = VideoRoomDO.parseRemoteStreams(a.streams);
    if (a.id !== undefined && r.publishers.some((p) => p.id === a.id)) throw vrError(VideoRoomError.ID_EXISTS, `User ID ${a.id} already exists`);
    const id: FeedId = a.id ?? (typeof r.room === 'string' ? crypto.randomUUID() : randomSafeInt());
    const p: Publisher = { sessionId: randomSafeInt(), handleId: randomSafeInt(), id, privateId: 0, display: a.display, metadata: a.metadata };
    r.publishers.push(p);
    try {
      const entry = await this.roomIndex().pickRelay();
      if (!entry) throw vrError(VideoRoomError.UNKNOWN_ERROR, 'No media relay available');
      const relay: RelayRef = { relayId: entry.relayId, linkId: entry.linkId };
      const out = await this.relayCall(relay, { op: 'sfu.remoteAdd', sessionId: p.sessionId, handleId: p.handleId, room: r.room, port: a.port, rtcp_port: a.rtcp_port, streams: VideoRoomDO.remoteStreams(streams), ...srtpOf(a) });
      if (this.state !== r || !r.publishers.includes(p)) {
        // The room went away meanwhile: release what the relay just opened.
        void this.relayCall(relay, { op: 'sfu.remoteRemove', sessionId: p.sessionId, handleId: p.handleId }).catch(() => undefined);
        throw vrError(VideoRoomError.NO_SUCH_ROOM, `No such room (${r.room})`);
      }
      p.remote = { ip: out.ip as string, port: out.port as number, rtcpPort: out.rtcp_port as number };
      p.relay = relay;
      p.streams = VideoRoomDO.describe(out.streams as PubStream[], streams);
    } catch (err) {
      r.publishers = r.publishers.filter((x) => x !== p);
      throw err;
    }
    this.save();
    this.watchLinks();
    this.broadcast({ videoroom: 'event', room: r.room, publishers: [publisherEntry(p)] });
    // Janus gives `ip` only for a bound iface or mcast group; here the relay is ours to choose, so its address always comes back.
    return { videoroom: 'success', room: r.room, id, ip: p.remote.ip, port: p.remote.port, rtcp_port: p.remote.rtcpPort };
  }

  /** `update_remote_publisher`: new or changed streams; subscribers hear of them in a `publishers` event. */
  private async updateRemotePublisher(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const u = parseJanus(S.updateRemotePublisherSchema, body, VR);
    const r = this.room();
    this.checkSecret(u.secret);
    const p = this.findRemote(u.id);
    const streams = VideoRoomDO.parseRemoteStreams(u.streams, true);
    const srtp = srtpOf(u);
    const out = streams.length === 0 && !srtp.srtp ? { streams: p.streams } : await this.relayCall(p.relay!, { op: 'sfu.remoteUpdate', sessionId: p.sessionId, handleId: p.handleId, streams: VideoRoomDO.remoteStreams(streams), ...srtp });
    if (!p.streams) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such remote publisher (${u.id})`);
    const before = p.streams;
    p.streams = VideoRoomDO.describe(out.streams as PubStream[], streams, p.streams);
    this.cascades.publisherChanged(p, before);
    if (u.display !== undefined) p.display = u.display;
    if (u.metadata !== undefined) p.metadata = u.metadata;
    this.save();
    this.broadcast({ videoroom: 'event', room: r.room, publishers: [publisherEntry(p)] });
    return { videoroom: 'success' };
  }

  /** `remove_remote_publisher`: participants get `leaving` (not `unpublished`, Janus #3442), subscribers an updated offer. */
  private async removeRemotePublisher(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const d = parseJanus(S.removeRemotePublisherSchema, body, VR);
    this.room();
    this.checkSecret(d.secret);
    const p = this.findRemote(d.id);
    await this.dropRemotePublisher(p);
    return { videoroom: 'success' };
  }

  private async dropRemotePublisher(p: Publisher): Promise<void> {
    const r = this.room();
    const relay = p.relay;
    p.streams = undefined;
    p.relay = undefined;
    r.publishers = r.publishers.filter((x) => x !== p);
    // its rtp_forward forwarders close with it on the relay
    r.forwarders = r.forwarders.filter((f) => f.publisherId !== p.id);
    this.save();
    const data: Record<string, unknown> = { videoroom: 'event', room: r.room, leaving: p.id };
    if (p.display !== undefined) data.display = p.display;
    this.broadcast(data);
    this.feedGone(p.id);
    this.watchLinks();
    if (relay) await this.relayCall(relay, { op: 'sfu.remoteRemove', sessionId: p.sessionId, handleId: p.handleId }).catch((err: unknown) => this.log.warn('relay did not remove a remote publisher', { room: r.room, id: p.id, error: String(err) }));
  }

  /**
   * `publish_remotely`: one forwarder per stream of a local publisher to host:port, SSRC 1000 +
   * mindex*10 (+1/+2 for simulcast layers), the RTCP port on the first video stream only, data as
   * RTP-wrapped messages. The remote_id is reserved while the relay sets them up.
   */
  private async publishRemotely(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const f = parseJanus(S.publishRemotelySchema, body, VR);
    const r = this.room();
    this.checkSecret(f.secret);
    if (f.port === 0) throw vrError(VideoRoomError.INVALID_ELEMENT, 'Invalid element (port must be a non-zero positive integer)');
    const p = r.publishers.find((x) => x.id === f.publisher_id && x.streams);
    if (!p || !p.streams || !p.relay) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${f.publisher_id})`);
    if (p.remote) throw vrError(VideoRoomError.INVALID_ELEMENT, 'Only local publishers can be remotized');
    if (p.remotizations?.some((x) => x.remoteId === f.remote_id)) throw vrError(VideoRoomError.ID_EXISTS, 'Remotization already exists');
    const { srtp } = srtpOf(f);
    const rem: Remotization = { remoteId: f.remote_id, host: f.host, port: f.port, ...(f.rtcp_port ? { rtcpPort: f.rtcp_port } : {}), forwarderIds: [], ...(srtp ? { srtp } : {}) };
    const streams = remoteForwardStreams(p.streams, rem, p.streams);
    if (streams.length === 0) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${f.publisher_id})`);
    p.remotizations = [...(p.remotizations ?? []), rem];
    const relay = p.relay;
    let made: Array<{ id: number }>;
    try {
      const out = await this.relayCall(relay, { op: 'sfu.forward', sessionId: p.sessionId, handleId: p.handleId, streams, ...(srtp ? { srtp } : {}) });
      made = out.forwarders as Array<{ id: number }>;
    } catch (err) {
      if (p.remotizations) p.remotizations = p.remotizations.filter((x) => x !== rem);
      throw err;
    }
    if (!p.remotizations?.includes(rem) || p.relay !== relay) {
      // The publisher left (or unpublish_remotely came) meanwhile: stop what the relay just started.
      for (const m of made) void this.relayCall(relay, { op: 'sfu.stopForward', sessionId: p.sessionId, handleId: p.handleId, id: m.id }).catch(() => undefined);
      throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${f.publisher_id})`);
    }
    rem.forwarderIds = made.map((m) => m.id);
    this.save();
    return { videoroom: 'success', room: r.room, id: p.id, remote_id: f.remote_id };
  }

  /** New streams of a remotized publisher get their forwarders too. */
  private async extendRemotizations(p: Publisher, added: PubStream[]): Promise<void> {
    const relay = p.relay!;
    for (const rem of p.remotizations ?? []) {
      const streams = remoteForwardStreams(added, rem, p.streams ?? []);
      if (streams.length === 0) continue;
      try {
        const out = await this.relayCall(relay, { op: 'sfu.forward', sessionId: p.sessionId, handleId: p.handleId, streams, ...(rem.srtp ? { srtp: rem.srtp } : {}) });
        const ids = (out.forwarders as Array<{ id: number }>).map((m) => m.id);
        if (p.remotizations?.includes(rem) && p.relay === relay) {
          rem.forwarderIds.push(...ids);
          this.save();
        } else for (const id of ids) void this.relayCall(relay, { op: 'sfu.stopForward', sessionId: p.sessionId, handleId: p.handleId, id }).catch(() => undefined);
      } catch (err) {
        this.log.warn('could not extend a remotization', { id: p.id, remote_id: rem.remoteId, error: String(err) });
      }
    }
  }

  /** `unpublish_remotely`: stops the forwarders tagged with that remote_id. */
  private async unpublishRemotely(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const u = parseJanus(S.unpublishRemotelySchema, body, VR);
    const r = this.room();
    this.checkSecret(u.secret);
    const p = r.publishers.find((x) => x.id === u.publisher_id && x.streams);
    if (!p) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${u.publisher_id})`);
    const rem = p.remotizations?.find((x) => x.remoteId === u.remote_id);
    if (!rem) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such remotization (${u.remote_id})`);
    p.remotizations = p.remotizations!.filter((x) => x !== rem);
    this.save();
    if (p.relay) {
      const relay = p.relay;
      await Promise.all(rem.forwarderIds.map((id) => this.relayCall(relay, { op: 'sfu.stopForward', sessionId: p.sessionId, handleId: p.handleId, id }).catch(() => undefined)));
    }
    return { videoroom: 'success', room: r.room, id: p.id };
  }

  private listRemotes(body: Record<string, unknown>): Record<string, unknown> {
    const l = parseJanus(S.listRemotesSchema, body, VR);
    const r = this.room();
    this.checkSecret(l.secret);
    const p = r.publishers.find((x) => x.id === l.publisher_id);
    if (!p) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${l.publisher_id})`);
    const list = (p.remotizations ?? []).map((x) => ({ remote_id: x.remoteId, host: x.host, port: x.port, ...(x.rtcpPort ? { rtcp_port: x.rtcpPort } : {}) }));
    return { videoroom: 'success', room: r.room, id: p.id, list };
  }

  // ---------------------------------------------------------------- publishers

  async joinPublisher(who: HandleAddress, body: Record<string, unknown>): Promise<Outcome> {
    this.remember(body.room);
    return this.run(async () => {
      const j = parseJanus(S.publisherJoinSchema, body, VR);
      const r = this.room();
      if (this.findPublisher(who)) throw vrError(VideoRoomError.ALREADY_JOINED, 'Already in as a publisher on this handle');
      if (this.findSubscriber(who)) throw vrError(VideoRoomError.ALREADY_JOINED, 'Already in as a subscriber on this handle');
      await this.checkAccess(j.pin, j.token);
      if (j.id !== undefined && r.publishers.some((p) => p.id === j.id)) throw vrError(VideoRoomError.ID_EXISTS, `User ID ${j.id} already exists`);
      let id: FeedId = j.id ?? randomSafeInt();
      if (typeof r.room === 'string' && j.id === undefined) id = crypto.randomUUID();
      const p: Publisher = { ...who, id, privateId: randomSafeInt() % 0xffffffff, display: j.display, metadata: j.metadata };
      r.publishers.push(p);
      this.save();
      if (r.options.notify_joining) this.broadcast({ videoroom: 'event', room: r.room, joining: participantEntry(p) }, who);
      const out: Record<string, unknown> = {
        videoroom: 'joined',
        room: r.room,
        description: r.options.description ?? `Room ${r.room}`,
        id,
        private_id: p.privateId,
        publishers: r.publishers.filter((x) => x.streams && !sameHandle(x, who)).map(publisherEntry),
      };
      if (r.options.notify_joining) out.attendees = r.publishers.filter((x) => !x.streams && !sameHandle(x, who)).map(participantEntry);
      return out;
    });
  }

  /** The room's pin, checked as Janus checks secrets: absent 429, different 433. */
  private checkPin(pin: string | undefined): void {
    const want = this.room().options.pin;
    if (want === undefined) return;
    if (pin === undefined) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (pin)');
    if (!constantTimeEqual(pin, want)) throw vrError(VideoRoomError.UNAUTHORIZED, 'Unauthorized (wrong pin)');
  }

  /** A join with an unknown `ptype`: Janus looks up the room and checks its pin before it refuses the ptype. */
  async checkJoinAccess(body: Record<string, unknown>): Promise<Outcome> {
    this.remember(body.room);
    return this.run(async () => {
      const j = parseJanus(S.joinAccessSchema, body, VR);
      this.room();
      this.checkPin(j.pin);
      return {};
    });
  }

  private async checkAccess(pin: string | undefined, token: string | undefined): Promise<void> {
    const r = this.room();
    if (r.options.signed_tokens) {
      const secret = this.config.tokenAuthSecret;
      const t = secret && token ? await verifySignedToken(secret, token, 'janus.plugin.videoroom') : undefined;
      if (!t || !t.data.includes(`room=${r.room}`)) throw vrError(VideoRoomError.UNAUTHORIZED, 'Unauthorized (invalid signed token)');
    }
    this.checkPin(pin);
    if (checksAllowed(r) && (token === undefined || !(r.allowed ?? []).includes(token))) throw vrError(VideoRoomError.UNAUTHORIZED, 'Unauthorized (not in the allowed list)');
  }

  /** Before a publisher's offer goes to a relay: the checks of §5.3, and where to place the peer. */
  async preparePublish(who: HandleAddress): Promise<Outcome<{ bitrate: number; room: RoomId; audiocodec: string; videocodec: string; audioLevel: AudioLevelSettings }>> {
    return this.run(() => {
      const r = this.room();
      const p = this.findPublisher(who);
      if (!p) {
        if (this.findSubscriber(who)) throw vrError(VideoRoomError.INVALID_SDP_TYPE, 'Only publishers send offers');
        throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      }
      if (p.streams) throw vrError(VideoRoomError.ALREADY_PUBLISHED, "Can't publish, already published");
      const active = r.publishers.filter((x) => x.streams).length;
      if (active >= r.options.publishers) throw vrError(VideoRoomError.PUBLISHERS_FULL, `Maximum number of publishers (${r.options.publishers}) already reached`);
      const o = r.options;
      const audioLevel: AudioLevelSettings = { ext: o.audiolevel_ext ?? true, event: o.audiolevel_event ?? false, packets: o.audio_active_packets, average: o.audio_level_average };
      return { bitrate: o.bitrate, room: r.room, audiocodec: o.audiocodec, videocodec: o.videocodec, audioLevel };
    });
  }

  /** The relay accepted the publisher's offer: announce its streams to the room. */
  async published(who: HandleAddress, streams: PubStream[], relay: RelayRef, extra: { display?: string; metadata?: Record<string, unknown>; descriptions?: { mid: string; description: string }[] }): Promise<Outcome> {
    return this.run(() => {
      const r = this.room();
      const p = this.findPublisher(who);
      if (!p) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      if (extra.display !== undefined) p.display = extra.display;
      if (extra.metadata !== undefined) p.metadata = extra.metadata;
      // A renegotiation keeps the moderation and talking state of the streams it keeps (the relay does too).
      const before = new Map((p.streams ?? []).map((s) => [s.mid, s]));
      p.streams = streams.map((s) => {
        const old = before.get(s.mid);
        return { ...s, description: extra.descriptions?.find((d) => d.mid === s.mid)?.description ?? s.description, ...(old?.moderated ? { moderated: true } : {}), ...(old?.talking !== undefined ? { talking: old.talking } : {}) };
      });
      p.relay = relay;
      this.save();
      this.broadcast({ videoroom: 'event', room: r.room, publishers: [publisherEntry(p)] }, who);
      // Relays it is cascaded to learn of new or changed streams (a first publish has no cascades).
      this.cascades.publisherChanged(p, [...before.values()]);
      // Janus adds forwarders for new streams to every remotization (remote side: update_remote_publisher).
      const added = p.streams.filter((s) => !before.has(s.mid));
      if (added.length && p.remotizations?.length) void this.extendRemotizations(p, added);
      return { room: r.room };
    });
  }

  /** Publisher `configure` without an offer: display/metadata changes are announced. */
  async configurePublisher(who: HandleAddress, extra: { display?: string; metadata?: Record<string, unknown> }): Promise<Outcome> {
    return this.run(() => {
      const r = this.room();
      const p = this.findPublisher(who);
      if (!p) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      const changed = (extra.display !== undefined && extra.display !== p.display) || extra.metadata !== undefined;
      if (extra.display !== undefined) p.display = extra.display;
      if (extra.metadata !== undefined) p.metadata = extra.metadata;
      this.save();
      if (changed && p.streams) this.broadcast({ videoroom: 'event', room: r.room, publishers: [publisherEntry(p)] }, who);
      return { room: r.room, publishing: p.streams !== undefined };
    });
  }

  /** The publisher stops publishing (unpublish, or its PeerConnection died). */
  async unpublished(who: HandleAddress, requested: boolean): Promise<Outcome> {
    return this.run(() => {
      const r = this.room();
      const p = this.findPublisher(who);
      if (!p) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      if (!p.streams) {
        if (requested) throw vrError(VideoRoomError.NOT_PUBLISHED, "Can't unpublish, not published");
        return { room: r.room };
      }
      this.stopPublishing(p);
      return { room: r.room };
    });
  }

  private stopPublishing(p: Publisher): void {
    const r = this.room();
    p.streams = undefined;
    p.relay = undefined;
    p.remotizations = undefined;
    // The relay drops a publisher's forwarders (remotizations included) with its PeerConnection.
    r.forwarders = r.forwarders.filter((f) => f.publisherId !== p.id);
    this.save();
    this.broadcast({ videoroom: 'event', room: r.room, unpublished: p.id }, p);
    this.feedGone(p.id);
  }

  /** Subscribers receiving a feed that went away renegotiate without it (autoupdate). */
  private feedGone(feedId: FeedId): void {
    for (const s of this.room().subscribers) {
      if (!s.streams.some((x) => x.feedId === feedId && x.active)) continue;
      for (const x of s.streams) if (x.feedId === feedId) x.active = false;
      if (s.autoupdate) void this.call(s, { kind: 'feedsGone', feedIds: [feedId] });
    }
    this.save();
    this.cascades.prune();
  }

  private removePublisher(p: Publisher): void {
    const r = this.room();
    if (p.streams) this.stopPublishing(p);
    r.publishers = r.publishers.filter((x) => x !== p);
    this.save();
  }

  /** `leave`, or the handle went away (detach, hangup of a subscriber is not a leave). */
  async leave(who: HandleAddress): Promise<Outcome> {
    return this.run(() => {
      const r = this.room();
      const p = this.findPublisher(who);
      if (p) {
        this.removePublisher(p);
        const data: Record<string, unknown> = { videoroom: 'event', room: r.room, leaving: p.id };
        if (p.display !== undefined) data.display = p.display;
        this.broadcast(data, who);
        return { videoroom: 'event', leaving: 'ok' };
      }
      const s = this.findSubscriber(who);
      if (s) {
        r.subscribers = r.subscribers.filter((x) => x !== s);
        this.save();
        this.cascades.prune();
        return { videoroom: 'event', left: 'ok' };
      }
      throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
    });
  }

  // ---------------------------------------------------------------- subscribers

  /** Resolves a subscription request to concrete publisher streams (`mid` left out = all of a feed's). */
  private resolveStreams(req: S.SubscribeStream[]): Array<{ feed: Publisher; stream: PubStream; send: boolean; substream?: number; temporal?: number; fallback?: number }> {
    const out: Array<{ feed: Publisher; stream: PubStream; send: boolean; substream?: number; temporal?: number; fallback?: number }> = [];
    for (const s of req) {
      const feed = this.room().publishers.find((p) => p.id === s.feed && p.streams);
      if (!feed) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${s.feed})`);
      const streams = feed.streams!.filter((x) => !x.disabled && (s.mid === undefined || x.mid === s.mid));
      if (s.mid !== undefined && streams.length === 0) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such mid '${s.mid}' in feed (${s.feed})`);
      for (const stream of streams) out.push({ feed, stream, send: s.send ?? true, substream: s.substream, temporal: s.temporal, fallback: s.fallback });
    }
    return out;
  }

  /** The streams a subscriber's relay peer is built from: each resolved to the feed key of its publisher. */
  private static feedStreams(resolved: ReturnType<VideoRoomDO['resolveStreams']>): Array<Record<string, unknown>> {
    return resolved.map((x) => ({ feedId: x.feed.id, feedKey: `${x.feed.sessionId}:${x.feed.handleId}`, feedMid: x.stream.mid, type: x.stream.type, codec: x.stream.codec, display: x.feed.display, send: x.send, substream: x.substream, temporal: x.temporal, fallback: x.fallback }));
  }

  /**
   * A subscriber joins: checks, a reservation of the handle, and the cascades that bring each
   * requested feed to the subscriber's relay (`relay`, picked in its region) before the relay
   * makes the offer.
   */
  async prepareSubscribe(who: HandleAddress, body: Record<string, unknown>, relay: RelayRef): Promise<Outcome<{ room: RoomId; streams: Array<Record<string, unknown>> }>> {
    this.remember(body.room);
    return this.run(async () => {
      const j = parseJanus(S.subscriberJoinSchema, body, VR);
      const r = this.room();
      if (this.findSubscriber(who)) throw vrError(VideoRoomError.ALREADY_JOINED, 'Already in as a subscriber on this handle');
      if (this.findPublisher(who)) throw vrError(VideoRoomError.ALREADY_JOINED, 'Already in as a publisher on this handle');
      this.checkPin(j.pin);
      if (r.options.require_pvtid && !r.publishers.some((p) => p.privateId === j.private_id)) throw vrError(VideoRoomError.UNAUTHORIZED, 'Unauthorized (this room requires a valid private_id)');
      const req = j.streams ?? (j.feed !== undefined ? [{ feed: j.feed }] : undefined);
      if (!req || req.length === 0) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (streams)');
      const resolved = this.resolveStreams(req);
      // Pending until the relay has made the offer: the entry reserves the handle and keeps its cascades.
      const s: Subscriber = { ...who, privateId: j.private_id, autoupdate: j.autoupdate ?? true, streams: [], paused: false, relay, wants: resolved.map((x) => x.feed.id) };
      r.subscribers.push(s);
      this.save();
      try {
        await this.cascades.ensure(resolved.map((x) => x.feed), relay);
      } catch (err) {
        await this.subscribeFailed(who);
        throw err;
      }
      return { room: r.room, streams: VideoRoomDO.feedStreams(resolved) };
    });
  }

  /** The relay made the subscriber's offer: record which m-line carries which feed. */
  async subscribed(who: HandleAddress, streams: SubStream[], relay: RelayRef): Promise<Outcome<{ streams: Record<string, unknown>[] }>> {
    return this.run(() => {
      const s = this.findSubscriber(who);
      if (!s) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      s.streams = streams;
      s.relay = relay;
      s.wants = undefined;
      this.save();
      this.cascades.prune();
      return { streams: this.streamEntries(s) };
    });
  }

  /** A subscription that failed half-way releases its reservation. */
  async subscribeFailed(who: HandleAddress): Promise<void> {
    if (!this.state) return;
    this.state.subscribers = this.state.subscribers.filter((s) => !sameHandle(s, who));
    this.save();
    this.cascades.prune();
  }

  async subscriberStreams(who: HandleAddress): Promise<Outcome<{ streams: Record<string, unknown>[]; room: RoomId }>> {
    return this.run(() => {
      const s = this.findSubscriber(who);
      if (!s) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      return { streams: this.streamEntries(s), room: this.room().room };
    });
  }

  /** Resolves streams to add to an existing subscription, and brings their feeds to the subscriber's relay. */
  async resolveAdditions(who: HandleAddress, req: S.SubscribeStream[]): Promise<Outcome<{ streams: Array<Record<string, unknown>> }>> {
    return this.run(async () => {
      const s = this.findSubscriber(who);
      if (!s) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      const resolved = this.resolveStreams(req);
      await this.bringFeeds(s, resolved.map((x) => x.feed));
      return { streams: VideoRoomDO.feedStreams(resolved) };
    });
  }

  /** Cascades `feeds` to the subscriber's relay; they stay wanted until its m-lines show them (or the change failed). */
  private async bringFeeds(s: Subscriber, feeds: Publisher[]): Promise<void> {
    if (!s.relay) return; // no PeerConnection: the relay command that follows fails
    s.wants = [...new Set([...(s.wants ?? []), ...feeds.map((p) => p.id)])];
    this.save();
    try {
      await this.cascades.ensure(feeds, s.relay);
    } catch (err) {
      this.changeFailed(s);
      throw err;
    }
  }

  private changeFailed(s: Subscriber): void {
    s.wants = undefined;
    this.save();
    this.cascades.prune();
  }

  /** A subscription change the relay refused: the feeds it wanted are not kept for it. */
  async subscriptionFailed(who: HandleAddress): Promise<void> {
    const s = this.findSubscriber(who);
    if (s) this.changeFailed(s);
  }

  /** Which of the subscriber's m-lines an unsubscribe names. */
  async resolveRemovals(who: HandleAddress, req: Array<{ feed?: FeedId; mid?: string; sub_mid?: string }>): Promise<Outcome<{ mids: string[] }>> {
    return this.run(() => {
      const s = this.findSubscriber(who);
      if (!s) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      const mids = new Set<string>();
      for (const u of req) {
        for (const x of s.streams) {
          if (u.sub_mid !== undefined ? x.mid === u.sub_mid : u.feed !== undefined && x.feedId === u.feed && (u.mid === undefined || x.feedMid === u.mid)) mids.add(x.mid);
        }
      }
      return { mids: [...mids] };
    });
  }

  async setPaused(who: HandleAddress, paused: boolean): Promise<Outcome> {
    return this.run(() => {
      const s = this.findSubscriber(who);
      if (!s) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      s.paused = paused;
      this.save();
      return { room: this.room().room };
    });
  }

  /** `switch`: checks each target feed stream and records the new source of each m-line. */
  async switchStreams(who: HandleAddress, req: Array<{ feed: FeedId; mid: string; sub_mid: string }>): Promise<Outcome<{ changes: Array<Record<string, unknown>> }>> {
    return this.run(async () => {
      const s = this.findSubscriber(who);
      if (!s) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      const changes: Array<Record<string, unknown>> = [];
      const feeds: Publisher[] = [];
      for (const w of req) {
        const line = s.streams.find((x) => x.mid === w.sub_mid);
        if (!line) throw vrError(VideoRoomError.INVALID_ELEMENT, `Invalid sub_mid '${w.sub_mid}'`);
        const feed = this.room().publishers.find((p) => p.id === w.feed && p.streams);
        const stream = feed?.streams?.find((x) => x.mid === w.mid && !x.disabled);
        if (!feed || !stream) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${w.feed}) or mid '${w.mid}'`);
        if (stream.type !== line.type) throw vrError(VideoRoomError.INVALID_ELEMENT, `Can't switch a ${line.type} m-line to a ${stream.type} stream`);
        changes.push({ sub_mid: line.mid, feedKey: `${feed.sessionId}:${feed.handleId}`, feed: feed.id, mid: stream.mid });
        feeds.push(feed);
      }
      await this.bringFeeds(s, feeds);
      if (this.findSubscriber(who) !== s) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      for (const c of changes) {
        const line = s.streams.find((x) => x.mid === c.sub_mid)!;
        line.feedId = c.feed as FeedId;
        line.feedMid = c.mid as string;
        line.active = true;
      }
      // its m-lines carry them now (other feeds may still be wanted by a subscribe in flight)
      s.wants = s.wants?.filter((f) => !feeds.some((p) => p.id === f));
      this.save();
      this.cascades.prune();
      return { changes };
    });
  }

  /** After a renegotiation (subscribe/unsubscribe/update/autoupdate) the relay's m-lines are the truth. */
  async subscriptionChanged(who: HandleAddress, streams: SubStream[]): Promise<Outcome<{ streams: Record<string, unknown>[]; room: RoomId }>> {
    return this.run(() => {
      const s = this.findSubscriber(who);
      if (!s) throw vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');
      s.streams = streams;
      s.wants = undefined;
      this.save();
      this.cascades.prune();
      return { streams: this.streamEntries(s), room: this.room().room };
    });
  }

  /** Admin handle_info: the cascades carrying a publisher to other relays, or feeding a subscriber from them. */
  async cascadeInfo(who: HandleAddress): Promise<Array<Record<string, unknown>>> {
    const p = this.findPublisher(who);
    const s = p ? undefined : this.findSubscriber(who);
    const list = p ? this.cascades.of(p) : s ? this.cascades.feeding(s) : [];
    return list.map((c) => ({ feed_id: c.feedId, from_relay: c.from.relayId, to_relay: c.to.relayId, ip: c.ip, port: c.port, rtcp_port: c.rtcpPort, forwarders: c.forwarderIds.length }));
  }

  /** The handle is gone (detach, session end) or its PeerConnection died: leave quietly. */
  async handleGone(who: HandleAddress, peerOnly: boolean): Promise<void> {
    if (!this.state) return;
    const p = this.findPublisher(who);
    if (p) {
      if (peerOnly) {
        if (p.streams) this.stopPublishing(p);
      } else {
        await this.leave(who);
      }
      return;
    }
    const s = this.findSubscriber(who);
    if (!s) return;
    if (!peerOnly) {
      await this.leave(who);
      return;
    }
    // Its PeerConnection is gone: nothing on a relay is needed for it any more.
    s.relay = undefined;
    s.wants = undefined;
    this.save();
    this.cascades.prune();
  }

  // ---------------------------------------------------------------- media events from the relay

  /**
   * An SFU event of a participant's PeerConnection, routed here by its relay link: talking changes
   * of a publisher's audio (broadcast to everyone, the talker included, as Janus does) and the
   * simulcast layer a subscriber's m-line now carries (to that subscriber).
   */
  async sfuEvent(who: HandleAddress, e: SfuPeerEvent): Promise<void> {
    const r = this.state;
    if (!r) return;
    if (e.kind === 'sfu.talking') {
      if (!r.options.audiolevel_event) return;
      const p = this.findPublisher(who);
      const s = p?.streams?.find((x) => x.mid === e.mid && x.type === 'audio');
      if (!p || !s) return;
      s.talking = e.talking;
      this.save();
      this.broadcast({ videoroom: e.talking ? 'talking' : 'stopped-talking', room: r.room, id: p.id, mid: e.mid, 'audio-level-dBov-avg': e.level });
      return;
    }
    if (!this.findSubscriber(who)) return;
    // Janus pushes one event per change: the substream, then the temporal layer (in that order).
    if (e.substream !== undefined) await this.call(who, { kind: 'event', data: { videoroom: 'event', room: r.room, mid: e.mid, substream: e.substream } });
    if (e.temporal !== undefined) await this.call(who, { kind: 'event', data: { videoroom: 'event', room: r.room, mid: e.mid, temporal: e.temporal } });
  }

  private streamEntries(s: Subscriber): Record<string, unknown>[] {
    const pubs = this.room().publishers;
    return s.streams.map((x) => {
      const feed = pubs.find((p) => p.id === x.feedId);
      const src = feed?.streams?.find((y) => y.mid === x.feedMid);
      const e: Record<string, unknown> = { mindex: x.mindex, mid: x.mid, type: x.type, active: x.active && src !== undefined, send: x.send, ready: x.active && src !== undefined };
      if (x.active && feed) {
        e.feed_id = feed.id;
        e.feed_mid = x.feedMid;
        if (feed.display !== undefined) e.feed_display = feed.display;
        if (feed.metadata !== undefined) e.feed_metadata = feed.metadata;
        if (src?.codec) e.codec = src.codec;
      }
      return e;
    });
  }
}

export { VideoRoomException };
