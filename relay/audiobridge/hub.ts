import { type AbId, type MixerSettings, type ParticipantSettings } from '../../shared/control/audiobridge.js';
import type { PeerEvent } from '../../shared/control/events.js';
import type { ListedPeer } from '../../shared/control/messages.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import { Mixer } from './mixer.js';
import type { RoomMediaEvents } from './roomMedia.js';
import type { Participant, ParticipantHost } from './participant.js';

/** A plain-RTP participant as the registry holds it (relay/audiobridge/rtpParticipant.ts). */
export interface RtpParticipant {
  readonly key: string;
  readonly participant: Participant;
  /** Date.now() when it joined: its age in the edge's reconciliation. */
  readonly createdAt: number;
  info(): Record<string, unknown>;
  /** Leaves the mixer and closes the socket. */
  close(): Promise<void>;
}

export interface AudioBridgeHubOptions {
  logger: Logger;
  /** The media port range plain-RTP participants bind in. */
  mediaPorts: PortPool;
  bindAddress: string;
  /** The address plain-RTP participants send to (`ab.rtpJoin`'s result). */
  announcedAddress: string;
  emit(sessionId: number, handleId: number, event: PeerEvent): void;
}

/**
 * The relay's AudioBridge registry: mixers by the edge's mixer key, participants by peer key
 * (`${sessionId}:${handleId}`), whether WebRTC peers (also in the peer table) or plain-RTP ones
 * (only here). A mixer is made by its first join and closed with its last leave; nothing here
 * waits on media work.
 */
export class AudioBridgeHub implements ParticipantHost {
  /** The relay→edge address of each room's events (the key of its last room-level op). */
  private readonly roomKeys = new Map<string, [number, number]>();
  private readonly mixers = new Map<string, Mixer>();
  private readonly placed = new Map<Participant, Mixer>();
  private readonly byKey = new Map<string, Participant>();
  private readonly rtp = new Map<string, RtpParticipant>();

  constructor(readonly opts: AudioBridgeHubOptions) {}

  get mixerCount(): number {
    return this.mixers.size;
  }
  get participantCount(): number {
    return this.byKey.size;
  }

  /** Plain-RTP participants and bridges' legs: no PeerConnection, yet peers the edge tracks and the relay's capacity counts. */
  get rtpCount(): number {
    return this.rtp.size;
  }

  rtpKeys(): IterableIterator<string> {
    return this.rtp.keys();
  }

  /** The plain-RTP participants as `listPeers` lists them. */
  listRtp(now = Date.now()): ListedPeer[] {
    return [...this.rtp.values()].map((r) => {
      const [sessionId, handleId] = r.key.split(':').map(Number) as [number, number];
      return { sessionId, handleId, ageMs: Math.max(0, now - r.createdAt) };
    });
  }

  participant(key: string): Participant | undefined {
    return this.byKey.get(key);
  }

  mixerOf(p: Participant): Mixer | undefined {
    return this.placed.get(p);
  }

  mixer(key: string): Mixer | undefined {
    return this.mixers.get(key);
  }

  rtpParticipant(key: string): RtpParticipant | undefined {
    return this.rtp.get(key);
  }

  /** The mixer of `mixerKey`, made with `settings` if it does not exist yet. */
  ensure(mixerKey: string, settings: MixerSettings): Mixer {
    let mixer = this.mixers.get(mixerKey);
    if (!mixer) {
      mixer = new Mixer(mixerKey, settings, this.opts.logger.child({ mixer: mixerKey }), this.roomEvents(mixerKey));
      this.mixers.set(mixerKey, mixer);
    }
    return mixer;
  }

  /** Where a room's events go: the key of its room-level ops. */
  setRoomKey(mixerKey: string, sessionId: number, handleId: number): void {
    this.roomKeys.set(mixerKey, [sessionId, handleId]);
  }

  private roomEvents(mixerKey: string): RoomMediaEvents {
    const emit = (event: PeerEvent) => {
      const key = this.roomKeys.get(mixerKey);
      if (key) this.opts.emit(key[0], key[1], event);
    };
    return {
      recordingDone: (room, s) => {
        const error = s.error !== undefined ? { error: s.error } : {};
        emit({
          kind: 'ab.recordingDone',
          room,
          path: s.path,
          bytes: s.bytes,
          durationMs: s.durationMs,
          dropped: s.dropped,
          ...error,
        });
        // event handlers hear it from the room on the edge, as Janus's `recordingdone`
      },
      announcement: (room, fileId, playing) => emit({ kind: 'ab.announcement', room, fileId, playing }),
    };
  }

  /** Closes a mixer nobody and nothing uses any more (after a participant left or a room feature stopped). */
  closeIfIdle(mixer: Mixer): void {
    if (mixer.size > 0 || mixer.media.busy) return;
    mixer.close();
    if (this.mixers.get(mixer.key) === mixer) this.mixers.delete(mixer.key);
    this.roomKeys.delete(mixer.key);
  }

  /** Puts a participant in a mixer (made with `settings` if it does not exist yet). */
  join(p: Participant, mixerKey: string, settings: MixerSettings): Mixer {
    const mixer = this.ensure(mixerKey, settings);
    mixer.add(p);
    this.placed.set(p, mixer);
    this.byKey.set(p.key, p);
    return mixer;
  }

  /** Janus `changeroom`: to another mixer, same codec and connection; the old mixer closes if empty. */
  move(
    p: Participant,
    mixerKey: string,
    settings: MixerSettings,
    id: AbId,
    changes: ParticipantSettings | undefined,
  ): void {
    const from = this.placed.get(p);
    if (from?.key === mixerKey) {
      if (changes) p.apply(changes, from.channels);
      p.id = id;
      return;
    }
    this.takeOut(p);
    p.id = id;
    if (changes) p.apply(changes);
    this.join(p, mixerKey, settings);
  }

  /** The participant leaves its mixer and its codec state is freed (every termination path ends here). */
  leave(p: Participant): void {
    this.takeOut(p);
    if (this.byKey.get(p.key) === p) this.byKey.delete(p.key);
    p.close();
  }

  addRtp(r: RtpParticipant): void {
    this.rtp.set(r.key, r);
  }

  removeRtp(r: RtpParticipant): void {
    if (this.rtp.get(r.key) === r) this.rtp.delete(r.key);
  }

  /** Relay shutdown: every plain-RTP participant leaves (WebRTC ones leave with their peers), recordings are closed. */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.rtp.values()].map((r) => r.close()));
    await Promise.allSettled(
      [...this.mixers.values()].map(async (m) => {
        await m.media.close();
        this.closeIfIdle(m);
      }),
    );
  }

  onTalking(p: Participant, talking: boolean, level: number): void {
    const [sessionId, handleId] = p.key.split(':').map(Number) as [number, number];
    this.opts.emit(sessionId, handleId, {
      kind: 'ab.talking',
      room: p.room,
      participant: p.id,
      talking,
      level: Math.round(level * 100) / 100,
    });
  }

  private takeOut(p: Participant): void {
    const mixer = this.placed.get(p);
    if (!mixer) return;
    this.placed.delete(p);
    if (mixer.remove(p)) this.closeIfIdle(mixer);
  }
}
