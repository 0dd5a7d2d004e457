import type { RemoteCreator } from '../../core/remoteCreator.js';
import { Cascades } from './cascades.js';
import { joinFirst, VideoRoomError, vrError } from './errors.js';
import type { RoomHost } from './host.js';
import { Publishers, type Published, type PublisherDetails } from './publishers.js';
import { Recordings, type RecordingRequest } from './recordings.js';
import { RelayEvents } from './relayEvents.js';
import { RelayLinks } from './relayLinks.js';
import { RemotePublishers } from './remotePublishers.js';
import { Remotizations } from './remotizations.js';
import { Room } from './room.js';
import { RoomRequests } from './roomRequests.js';
import { RtpForwarders } from './rtpForwarders.js';
import { StaticRoomKeeper } from './staticRooms.js';
import type { RoomId, RoomSyncRequest } from './schemas.js';
import type { HandleAddress, JanusData, PubStream, RoomState } from './state.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { Subscribers } from './subscribers.js';

/** A cascade as admin `handle_info` shows it. */
export interface CascadeInfo {
  feed_id: string | number;
  from_relay: string;
  to_relay: string;
  ip: string;
  port: number;
  rtcp_port: number;
  forwarders: number;
}

/**
 * One VideoRoom's logic (§5), over a {@link RoomHost}: the room's state and its parts, one concept
 * each. Requests come from the plugin in the participants' session shards (through the Durable
 * Object); notifications go back through the host. Nothing here waits on a client's media: the
 * plugin negotiates with relays and reports the outcome.
 */
export class VideoRoom {
  readonly room: Room;
  readonly cascades: Cascades;
  readonly links: RelayLinks;
  readonly remotizations: Remotizations;
  readonly publishers: Publishers;
  readonly recordings: Recordings;
  readonly subscribers: Subscribers;
  readonly remotes: RemotePublishers;
  readonly forwarders: RtpForwarders;
  readonly requests: RoomRequests;
  readonly relayEvents: RelayEvents;
  readonly statics: StaticRoomKeeper;

  constructor(host: RoomHost, state?: RoomState) {
    const room = (this.room = new Room(host));
    room.state = state;
    this.cascades = new Cascades(room, () => this.links.update());
    this.links = new RelayLinks(room, () => this.cascades.links());
    this.remotizations = new Remotizations(room);
    this.recordings = new Recordings(room);
    this.publishers = new Publishers(room, this.cascades, this.remotizations, this.recordings);
    this.subscribers = new Subscribers(room, this.cascades);
    this.remotes = new RemotePublishers(room, this.publishers, this.cascades, this.links);
    this.forwarders = new RtpForwarders(room);
    this.requests = new RoomRequests(room, this.publishers, this.remotes, this.cascades, this.recordings, (id) =>
      this.statics.destroyed(id),
    );
    this.statics = new StaticRoomKeeper(room, this.requests);
    this.relayEvents = new RelayEvents(room, this.remotes, this.cascades, this.links);
    // Remote publishers have no handle: what a shard says of their made-up address means nothing.
    room.onHandleMissing = (who) => {
      const p = room.publisher(who);
      if (!p?.remote && !p?.handleless) this.handleGone(who, false);
    };
  }

  /** The synchronous requests a room answers (`create` and `list` aside); `caller`: the session asking, if any. */
  sync(
    request: RoomSyncRequest,
    body: Record<string, unknown>,
    caller?: RemoteCreator,
  ): JanusData | Promise<JanusData> {
    switch (request) {
      case 'exists':
        return this.requests.exists(body);
      case 'edit':
        return this.requests.edit(body);
      case 'destroy':
        return this.requests.destroy(body);
      case 'allowed':
        return this.requests.allowed(body);
      case 'kick':
        return this.requests.kick(body);
      case 'moderate':
        return this.requests.moderate(body);
      case 'enable_recording':
        return this.recordings.enable(body);
      case 'listparticipants':
        return this.requests.listParticipants(body);
      case 'add_remote_publisher':
        return this.addRemotePublisher(body, caller);
      case 'update_remote_publisher':
        return this.remotes.update(body);
      case 'remove_remote_publisher':
        return this.remotes.remove(body);
      case 'publish_remotely':
        return this.remotizations.publish(body);
      case 'unpublish_remotely':
        return this.remotizations.unpublish(body);
      case 'listremotes':
      case 'list_remotes':
        return this.remotizations.list(body);
      case 'rtp_forward':
        return this.forwarders.forward(body);
      case 'stop_rtp_forward':
        return this.forwarders.stop(body);
      case 'listforwarders':
        return this.forwarders.list(body);
      default:
        throw vrError(VideoRoomError.INVALID_REQUEST, `Unknown request '${request}'`);
    }
  }

  /**
   * The relay accepted a publisher's offer (first or renegotiated): the room announces it, then it
   * records if it should; `recordingError` says why a recording did not start (the publish stands).
   */
  async published(
    who: HandleAddress,
    streams: PubStream[],
    relay: RelayRef,
    details: PublisherDetails,
  ): Promise<Published & { recordingError?: string }> {
    this.recordings.check(details.recording);
    const out = this.publishers.published(who, streams, relay, details);
    const recordingError = await this.recordings.published(this.room.publisherOf(who), details.recording);
    return recordingError ? { ...out, recordingError } : out;
  }

  /** Publisher `configure` without an offer: recording changes apply first (a refusal changes nothing). */
  async configurePublisher(
    who: HandleAddress,
    details: Omit<PublisherDetails, 'descriptions'>,
  ): Promise<{ room: RoomId; publishing: boolean }> {
    if (details.recording) await this.recordings.configure(this.room.publisherOf(who), details.recording);
    return this.publishers.configure(who, details);
  }

  /** A publisher's recording request, checked before it joins (joinandconfigure) or its offer goes to a relay. */
  checkRecording(req: RecordingRequest): void {
    this.recordings.check(req);
  }

  /** `add_remote_publisher`; in a recorded room it is recorded from the start, as every publisher. */
  private async addRemotePublisher(body: Record<string, unknown>, caller?: RemoteCreator): Promise<JanusData> {
    const added = await this.remotes.add(body, caller);
    const p = this.room.state?.publishers.find((x) => x.id === added.id);
    if (p && this.room.current().options.record) await this.recordings.published(p, undefined);
    return added;
  }

  /** `leave`, or the handle went away (detach; a subscriber's hangup is not a leave). */
  leave(who: HandleAddress): JanusData {
    const r = this.room.current();
    const p = this.room.publisher(who);
    if (p) {
      this.publishers.remove(p);
      const data: JanusData = { videoroom: 'event', room: r.room, leaving: p.id };
      if (p.display !== undefined) data.display = p.display;
      this.room.broadcast(data, who);
      return { videoroom: 'event', leaving: 'ok' };
    }
    const s = this.room.subscriber(who);
    if (s) {
      this.subscribers.remove(s);
      return { videoroom: 'event', left: 'ok' };
    }
    throw joinFirst();
  }

  /** The handle is gone (detach, session end) or only its PeerConnection died (`peerOnly`): leave quietly. */
  handleGone(who: HandleAddress, peerOnly: boolean): void {
    if (!this.room.state) return;
    const p = this.room.publisher(who);
    const s = p ? undefined : this.room.subscriber(who);
    if (!p && !s) return;
    if (!peerOnly) this.leave(who);
    else if (p?.streams) this.publishers.stopPublishing(p);
    else if (s) this.subscribers.peerGone(s);
  }

  /** Admin handle_info: the cascades carrying a publisher to other relays, or feeding a subscriber from them. */
  cascadeInfo(who: HandleAddress): CascadeInfo[] {
    const p = this.room.publisher(who);
    const s = p ? undefined : this.room.subscriber(who);
    const list = p ? this.cascades.of(p) : s ? this.cascades.feeding(s) : [];
    return list.map((c) => ({
      feed_id: c.feedId,
      from_relay: c.from.relayId,
      to_relay: c.to.relayId,
      ip: c.ip,
      port: c.port,
      rtcp_port: c.rtcpPort,
      forwarders: c.forwarderIds.length,
    }));
  }
}
