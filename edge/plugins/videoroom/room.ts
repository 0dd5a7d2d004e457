import { constantTimeEqual } from '../../auth/signedToken.js';
import { joinFirst, VideoRoomError, vrError } from './errors.js';
import type { RoomCall, RoomHost } from './host.js';
import type { FeedId, RoomId } from './schemas.js';
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
export class Room {
  /** Undefined until `create` (or after `destroy`). */
  state?: RoomState;
  /** A configured room that `destroy` removed: its configuration's fingerprint (see StaticRoomKeeper). */
  tombstone?: string;
  /** The room id this object is named by, for error texts before the room exists. */
  private name?: RoomId;

  constructor(readonly host: RoomHost) {}

  /** The room, or 426 when it does not exist. */
  current(): RoomState {
    if (!this.state) throw vrError(VideoRoomError.NO_SUCH_ROOM, `No such room (${this.name ?? '?'})`);
    return this.state;
  }

  /** Every entry point names the room it expects, so errors can say which one is missing. */
  remember(room: unknown): void {
    if (typeof room === 'number' || typeof room === 'string') this.name ??= room;
  }

  save(): void {
    this.host.save(this.state);
  }

  /** Janus's JANUS_CHECK_SECRET: absent is a missing element, different is unauthorized. */
  checkSecret(secret: string | undefined): void {
    checkCredential('secret', this.current().options.secret, secret);
  }

  /** Janus's `admin_key` (when the plugin has one): absent 429, different 433. */
  checkAdminKey(adminKey: string | undefined): void {
    checkCredential('admin_key', this.host.limits.adminKey, adminKey);
  }

  /**
   * Remote publishers and RTP forwarders open relay ports and send media anywhere: like Janus's
   * `lock_rtp_forward`, they need the admin key (when the plugin has one), and the room's secret.
   */
  checkForwarding(creds: { secret?: string; admin_key?: string }): void {
    if (this.host.limits.lockRtpForward) this.checkAdminKey(creds.admin_key);
    this.checkSecret(creds.secret);
  }

  /** The room's pin, checked as Janus checks secrets: absent 429, different 433. */
  checkPin(pin: string | undefined): void {
    checkCredential('pin', this.current().options.pin, pin);
  }

  /**
   * What ends a participant whose handle is gone (set by the room logic to its one leave path).
   */
  onHandleMissing?: (who: HandleAddress) => void;

  /**
   * Tells one participant; a handle that went away meanwhile is not an error. A handle its shard no
   * longer has is a participant whose leave never arrived (a shard lost mid-teardown): it leaves now.
   */
  tell(to: HandleAddress, call: RoomCall): Promise<void> {
    return this.host.notify(to, call).then(
      (delivered) => {
        if (delivered) return;
        try {
          this.onHandleMissing?.(to);
        } catch (err) {
          this.host.log.warn('a participant whose handle is gone could not leave', { error: String(err) });
        }
      },
      () => undefined,
    );
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

function checkCredential(
  name: 'secret' | 'pin' | 'admin_key',
  want: string | undefined,
  given: string | undefined,
): void {
  if (want === undefined) return;
  if (given === undefined) throw vrError(VideoRoomError.MISSING_ELEMENT, `Missing mandatory element (${name})`);
  if (!constantTimeEqual(given, want)) throw vrError(VideoRoomError.UNAUTHORIZED, `Unauthorized (wrong ${name})`);
}
