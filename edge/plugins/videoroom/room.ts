import { JanusRoom } from '../janusRoom.js';
import { joinFirst, VideoRoomError, vrError } from './errors.js';
import type { RoomCall, RoomHost } from './host.js';
import type { FeedId } from './schemas.js';
import {
  sameHandle,
  type HandleAddress,
  type JanusData,
  type Publisher,
  type RoomState,
  type Subscriber,
} from './state.js';

/**
 * One room's state and what every part of the room logic does with it: look participants up, check
 * secrets and pins, persist, tell participants. The parts (publishers, subscribers, …) share it.
 */
export class Room extends JanusRoom<RoomState, RoomCall, RoomHost> {
  /** A configured room that `destroy` removed: its configuration's fingerprint (see StaticRoomKeeper). */
  tombstone?: string;

  constructor(host: RoomHost) {
    super(host, {
      noSuchRoom: (text) => vrError(VideoRoomError.NO_SUCH_ROOM, text),
      missing: (text) => vrError(VideoRoomError.MISSING_ELEMENT, text),
      unauthorized: (text) => vrError(VideoRoomError.UNAUTHORIZED, text),
    });
  }

  /** Janus's `admin_key` (when the plugin has one): absent 429, different 433. */
  checkAdminKey(adminKey: string | undefined): void {
    this.checkCredential('admin_key', this.host.limits.adminKey, adminKey);
  }

  /**
   * Remote publishers and RTP forwarders open relay ports and send media anywhere: like Janus's
   * `lock_rtp_forward`, they need the admin key (when the plugin has one), and the room's secret.
   */
  checkForwarding(creds: { secret?: string; admin_key?: string }): void {
    if (this.host.limits.lockRtpForward) this.checkAdminKey(creds.admin_key);
    this.checkSecret(creds.secret);
  }

  /** Tells every local participant except `except` (publishers and, with notify_joining, the rest). */
  broadcast(data: JanusData, except?: HandleAddress): void {
    for (const p of this.current().publishers)
      if (!p.remote && !p.handleless && (!except || !sameHandle(p, except))) void this.tell(p, { kind: 'event', data });
  }

  publisher(who: HandleAddress): Publisher | undefined {
    return this.state?.publishers.find((p) => sameHandle(p, who));
  }

  subscriber(who: HandleAddress): Subscriber | undefined {
    return this.state?.subscribers.find((s) => sameHandle(s, who));
  }

  /** The subscriber on this handle, or 424. */
  subscriberOf(who: HandleAddress): Subscriber {
    const s = this.subscriber(who);
    if (!s) throw joinFirst();
    return s;
  }

  /** The publisher on this handle, or 424. */
  publisherOf(who: HandleAddress): Publisher {
    const p = this.publisher(who);
    if (!p) throw joinFirst();
    return p;
  }

  /** A participant by its feed id, or 428 with `what` in the text. */
  feed(id: FeedId, what = 'user'): Publisher {
    const r = this.current();
    const p = r.publishers.find((x) => x.id === id);
    if (!p)
      throw vrError(
        VideoRoomError.NO_SUCH_FEED,
        what === 'user' ? `No such user ${id} in room ${r.room}` : `No such ${what} (${id})`,
      );
    return p;
  }
}
