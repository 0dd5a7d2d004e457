import { JanusRoom } from '../janusRoom.js';
import { abError, AudioBridgeError } from './errors.js';
import type { AbRoomCall, AbRoomHost } from './host.js';
import type { AbRoomId } from './schemas.js';
import { sameHandle, type AbParticipant, type AbRoomState, type HandleAddress, type JanusData } from './state.js';

/**
 * One AudioBridge room's state and what every part of the room logic does with it: look participants
 * up, check secrets and pins, persist, tell participants.
 */
export class AudioRoom extends JanusRoom<AbRoomState, AbRoomCall, AbRoomHost> {
  constructor(host: AbRoomHost) {
    super(host, {
      noSuchRoom: (text) => abError(AudioBridgeError.NO_SUCH_ROOM, text),
      missing: (text) => abError(AudioBridgeError.MISSING_ELEMENT, text),
      unauthorized: (text) => abError(AudioBridgeError.UNAUTHORIZED, text),
    });
  }

  checkAdminKey(adminKey: string | undefined): void {
    this.checkCredential('admin_key', this.host.adminKey, adminKey);
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

  /**
   * Tells event handlers (type 64), as Janus's notify_event; `from`: the handle it names, if any, with
   * its opaque id.
   */
  notifyHandlers(data: JanusData, from?: HandleAddress): void {
    this.host.pluginEvent(
      data,
      from && {
        sessionId: from.sessionId,
        handleId: from.handleId,
        ...(from.opaqueId !== undefined ? { opaqueId: from.opaqueId } : {}),
      },
    );
  }

  /** Tells every participant except `except`. */
  broadcast(data: JanusData, except?: HandleAddress): void {
    for (const p of this.state?.participants ?? [])
      if (!except || !sameHandle(p, except)) void this.tell(p, { kind: 'ab.event', data });
  }
}
