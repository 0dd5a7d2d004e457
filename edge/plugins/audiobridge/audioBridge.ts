import type { AbPeerEvent } from '../../../shared/control/audiobridge.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { AbBridged } from './audioBridgeApi.js';
import { Bridges } from './bridging.js';
import type { AbRoomHost } from './host.js';
import { ParticipantRecording } from './participantRecording.js';
import { Participants, type Placement } from './participants.js';
import { AudioRoom } from './room.js';
import { RoomMedia } from './roomMedia.js';
import { RoomRequests } from './roomRequests.js';
import type { AbRoomId, RoomSyncRequest } from './schemas.js';
import { AbStaticRoomKeeper } from './staticRooms.js';
import { hasLeg, mixerKeyOf, roomMediaBusy, type AbParticipant, type HandleAddress, type JanusData } from './state.js';
import { refusedRequest, refuseRequest } from './unsupported.js';

/**
 * One AudioBridge room's logic, as plain classes over {@link AbRoomHost}: the room's state and
 * requests, its participants. `AudioBridgeDO` runs it in workerd; unit tests on an in-memory host.
 */
export class AudioBridge {
  readonly room: AudioRoom;
  readonly requests: RoomRequests;
  readonly participants: Participants;
  readonly media: RoomMedia;
  readonly recording: ParticipantRecording;
  readonly bridges: Bridges;
  /** The room's configuration, if it is one of the configured (static) rooms. */
  readonly statics: AbStaticRoomKeeper;

  constructor(readonly host: AbRoomHost) {
    this.room = new AudioRoom(host);
    this.participants = new Participants(
      this.room,
      (p) => this.hangUpLeg(p),
      (r, movers) => void this.bridges.rehome(r, movers),
    );
    this.bridges = new Bridges(
      this.room,
      (r, p) => this.participants.place(r, p),
      (p) => this.participants.leave(p, 'gone'),
    );
    this.media = new RoomMedia(this.room, (r) => this.participants.mixerSettings(r));
    this.recording = new ParticipantRecording(this.room);
    this.participants.recording = this.recording;
    this.requests = new RoomRequests(
      this.room,
      (p) => this.applyMute(p),
      (p, room) => this.removed(p, room),
      this.media,
    );
    this.statics = new AbStaticRoomKeeper(this.room, this.requests, () => host.staticRooms);
  }

  /** The room's synchronous requests (refused ones change nothing). */
  /** `from`: the requesting handle (none for admin `message_plugin`), which event handlers hear of. */
  async sync(request: RoomSyncRequest, body: Record<string, unknown>, from?: HandleAddress): Promise<JanusData> {
    const refused = refusedRequest(request);
    if (refused) {
      // As Janus, the room is looked up (and its secret checked) before the request is refused.
      this.room.current();
      refuseRequest(request, refused);
    }
    switch (request) {
      case 'edit':
        return this.requests.edit(body, from);
      case 'destroy': {
        const before = this.room.state;
        const destroyed = await this.requests.destroy(body, from);
        if (before) this.media.roomGone(before);
        this.statics.destroyed(destroyed.room as AbRoomId);
        return destroyed;
      }
      case 'enable_mjrs':
        return this.recording.enableMjrs(body);
      case 'enable_recording':
        return this.media.enableRecording(body);
      case 'rtp_forward':
        return this.media.rtpForward(body);
      case 'stop_rtp_forward':
        return this.media.stopRtpForward(body);
      case 'listforwarders':
        return this.media.listForwarders(body);
      case 'play_file':
        return this.media.playFile(body);
      case 'is_playing':
        return this.media.isPlaying(body);
      case 'stop_file':
        return this.media.stopFile(body);
      case 'exists':
        return this.requests.exists(body);
      case 'allowed':
        return this.requests.allowed(body);
      case 'kick':
        return this.requests.kick(body, from);
      case 'kick_all':
        return this.requests.kickAll(body, from);
      case 'mute':
      case 'unmute':
        return this.requests.mute(body, request === 'mute', from);
      case 'mute_room':
      case 'unmute_room':
        return this.requests.muteRoom(body, request === 'mute_room', from);
      case 'listparticipants':
        return this.requests.listParticipants(body);
      default:
        return refuseRequest(request, 'this request');
    }
  }

  /**
   * Where a participant's media goes (the plugin's `placeMedia`): the mixer's relay, or for a client
   * of another region its own relay, bridged to a leg opened here in the mixer.
   */
  async placeMedia(who: HandleAddress, candidate: RelayRef, audioLevel = true): Promise<Omit<Placement, 'bridge'>> {
    const placed = this.participants.placeMedia(who, candidate);
    const { relay, place } = placed.bridge ? await this.bridges.openLeg(who, placed, audioLevel) : placed;
    return { relay, place };
  }

  /**
   * `resetdecoder` of a bridged participant: its decoder is its leg's, in the home mixer (the handle's
   * own relay holds only the bridge). Without media yet, nothing to reset.
   */
  async resetLegDecoder(who: HandleAddress): Promise<void> {
    const p = this.room.participantOf(who, 'reset');
    if (p.bridge && p.relay) await this.host.relays.command(p.relay, { op: 'ab.resetDecoder', ...mixerKeyOf(p) });
  }

  /** A bridged participant's mixer (its home) and bridge, for a changeroom to take along; none without media. */
  bridgeOf(who: HandleAddress): AbBridged | undefined {
    const p = this.room.participant(who);
    return p?.bridge && p.relay ? { home: p.relay, bridge: p.bridge } : undefined;
  }

  /** changeroom of a bridged participant: its leg moves to this room's mixer on the same home relay. */
  async moveLeg(who: HandleAddress): Promise<void> {
    const r = this.room.current();
    const p = this.room.participantOf(who, 'change room');
    if (!p.relay) return;
    const { mixer, mixerSettings, participant, settings } = this.participants.place(r, p);
    await this.host.relays.command(p.relay, {
      op: 'ab.move',
      ...mixerKeyOf(p),
      mixer,
      mixerSettings,
      participant,
      settings,
    });
  }

  /** changeroom of a bridged participant into this room mixing elsewhere: a new leg here, its bridge re-pointed. */
  async rebridge(who: HandleAddress, audioLevel: boolean): Promise<void> {
    const p = this.room.participantOf(who, 'change room');
    if (audioLevel) p.audioLevel = true;
    await this.bridges.rebridge(who, audioLevel);
  }

  /** The handle is gone (detach, session end, changeroom's departure): its participant leaves. */
  handleGone(who: HandleAddress): void {
    this.participants.leave(who, 'gone');
  }

  /** From a relay link this room watches: its relay is gone. */
  relayLost(linkId: string): void {
    this.media.relayLost(linkId);
    this.participants.relayLost(linkId);
  }

  /** From the relay mixing this room. */
  relayEvent(e: AbPeerEvent): void {
    if (e.kind === 'ab.talking') this.participants.talking(e.participant, e.talking);
    else this.media.relayEvent(e);
  }

  /** A moderator's or the room's mute reaches the participant's relay; its media may be gone meanwhile. */
  private applyMute(p: AbParticipant): void {
    const r = this.room.state;
    if (!r || !p.relay) return;
    this.host.relays
      .command(p.relay, { op: 'ab.configure', ...mixerKeyOf(p), settings: { muted: p.muted || r.muted } })
      .catch((err: unknown) => this.host.log.warn('relay did not apply a mute', { room: r.room, error: String(err) }));
  }

  /**
   * A participant the room removed (kick, kick_all, destroy): a plain-RTP or bridge leg is hung up here
   * (and its relay no longer watched once no leg is there, or the room is gone), a PeerConnection by its handle.
   */
  private removed(p: AbParticipant, room: AbRoomId): void {
    const r = this.room.state;
    if (r && !roomMediaBusy(r) && !r.participants.some((x) => x.relay && x.relay.linkId === r.relay?.linkId))
      r.relay = undefined;
    if (!hasLeg(p)) return;
    this.hangUpLeg(p);
    if (r) this.participants.unwatchIfUnused(r, p.relay);
    else if (p.relay) this.host.unwatchLink(p.relay.linkId, room);
  }

  private hangUpLeg(p: AbParticipant): void {
    if (!p.relay) return;
    this.host.relays
      .command(p.relay, { op: 'peer.hangup', ...mixerKeyOf(p), reason: 'Left the room' })
      .catch(() => undefined);
  }
}
