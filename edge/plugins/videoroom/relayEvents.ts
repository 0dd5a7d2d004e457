import type { SfuPeerEvent } from '../../../shared/control/sfu.js';
import type { Cascades } from './cascades.js';
import type { RelayLinks } from './relayLinks.js';
import type { RemotePublishers } from './remotePublishers.js';
import type { Room } from './room.js';
import type { HandleAddress } from './state.js';

/** What relays report to the room: media events of its participants' peers, and their own loss. */
export class RelayEvents {
  constructor(
    private readonly room: Room,
    private readonly remotes: RemotePublishers,
    private readonly cascades: Cascades,
    private readonly links: RelayLinks,
  ) {}

  /**
   * An SFU event of a participant's PeerConnection, routed here by its relay link: talking changes
   * of a publisher's audio (broadcast to everyone, the talker included, as Janus does) and the
   * simulcast layer a subscriber's m-line now carries (to that subscriber).
   */
  async sfuEvent(who: HandleAddress, e: SfuPeerEvent): Promise<void> {
    const r = this.room.state;
    if (!r) return;
    if (e.kind === 'sfu.talking') {
      if (!r.options.audiolevel_event) return;
      const p = this.room.publisher(who);
      const s = p?.streams?.find((x) => x.mid === e.mid && x.type === 'audio');
      if (!p || !s) return;
      s.talking = e.talking;
      this.room.save();
      this.room.broadcast({
        videoroom: e.talking ? 'talking' : 'stopped-talking',
        room: r.room,
        id: p.id,
        mid: e.mid,
        'audio-level-dBov-avg': e.level,
      });
      return;
    }
    if (!this.room.subscriber(who)) return;
    // Janus pushes one event per change: the substream, then the temporal layer (in that order).
    if (e.substream !== undefined)
      await this.room.tell(who, {
        kind: 'event',
        data: { videoroom: 'event', room: r.room, mid: e.mid, substream: e.substream },
      });
    if (e.temporal !== undefined)
      await this.room.tell(who, {
        kind: 'event',
        data: { videoroom: 'event', room: r.room, mid: e.mid, temporal: e.temporal },
      });
  }

  /**
   * A relay link this room watches reports its relay gone. Its remote publishers leave the room
   * (participants get `leaving`, subscribers an updated offer) and cascades from or to it close.
   */
  async relayLost(linkId: string): Promise<void> {
    const r = this.room.state;
    if (!r) return;
    for (const p of r.publishers.filter((x) => x.remote && x.relay?.linkId === linkId)) {
      p.relay = undefined;
      await this.remotes.drop(p);
    }
    this.cascades.relayLost(linkId);
    this.links.update();
  }
}
