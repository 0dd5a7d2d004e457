import { constantTimeEqual } from '../../auth/signedToken.js';
import { abError, AudioBridgeError } from './errors.js';
import type { AbRoomCall, AbRoomHost } from './host.js';
import type { AbRoomId } from './schemas.js';
import { sameHandle, type AbParticipant, type AbRoomState, type HandleAddress, type JanusData } from './state.js';

/**
 * One AudioBridge room's state and what every part of the room logic does with it: look participants
 * up, check secrets and pins, persist, tell participants.
 */
export class AudioRoom {
  /** Undefined until `create` (or after `destroy`). */
  state?: AbRoomState;
  /** The room id this object is named by, for error texts before the room exists. */
  private name?: AbRoomId;

  constructor(readonly host: AbRoomHost) {}

  /** The room, or 485 when it does not exist. */
  current(): AbRoomState {
    if (!this.state) throw abError(AudioBridgeError.NO_SUCH_ROOM, `No such room (${this.name ?? '?'})`);
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

  checkPin(pin: string | undefined): void {
    checkCredential('pin', this.current().options.pin, pin);
  }

  checkAdminKey(adminKey: string | undefined): void {
    checkCredential('admin_key', this.host.adminKey, adminKey);
  }

  participant(who: HandleAddress): AbParticipant | undefined {
    return this.state?.participants.find((p) => sameHandle(p, who));
  }

  /** The participant on this handle, or 487 with Janus's wording for `what`. */
  participantOf(who: HandleAddress, what: string): AbParticipant {
    const p = this.participant(who);
    if (!p) throw abError(AudioBridgeError.NOT_JOINED, `Can't ${what} (not in a room)`);
    return p;
  }

  /** A participant by id, or 492. */
  byId(id: AbRoomId): AbParticipant {
    const r = this.current();
    const p = r.participants.find((x) => x.id === id);
    if (!p) throw abError(AudioBridgeError.NO_SUCH_USER, `No such user ${id} in room ${r.room}`);
    return p;
  }

  /** What ends a participant whose handle is gone (set by the participants logic to its leave path). */
  onHandleMissing?: (who: HandleAddress) => void;

  /** Tells one participant; a handle its shard no longer has leaves now (its leave was lost). */
  tell(to: HandleAddress, call: AbRoomCall): Promise<void> {
    return this.host.notify(to, call).then(
      (delivered) => {
        if (!delivered) this.onHandleMissing?.(to);
      },
      () => undefined,
    );
  }

  /** Tells event handlers (type 64), as Janus's notify_event; `from`: the handle it names, if any. */
  notifyHandlers(data: JanusData, from?: HandleAddress): void {
    this.host.pluginEvent(data, from && { sessionId: from.sessionId, handleId: from.handleId });
  }

  /** Tells every participant except `except`. */
  broadcast(data: JanusData, except?: HandleAddress): void {
    for (const p of this.state?.participants ?? [])
      if (!except || !sameHandle(p, except)) void this.tell(p, { kind: 'ab.event', data });
  }
}

function checkCredential(
  name: 'secret' | 'pin' | 'admin_key',
  want: string | undefined,
  given: string | undefined,
): void {
  if (want === undefined) return;
  if (given === undefined) throw abError(AudioBridgeError.MISSING_ELEMENT, `Missing mandatory element (${name})`);
  if (!constantTimeEqual(given, want)) throw abError(AudioBridgeError.UNAUTHORIZED, `Unauthorized (wrong ${name})`);
}
