import type { AbId } from '../../shared/control/audiobridge.js';
import type { Logger } from '../logger.js';
import type { FilePlayer } from './filePlayer.js';
import { MixForwarders } from './forwarders.js';
import type { GroupMixes } from './groupMixes.js';
import type { WavRecorder, WavStats } from './wavRecorder.js';

/** What the room's media tells the edge (through the hub, as AudioBridge events routed to the room). */
export interface RoomMediaEvents {
  recordingDone(room: AbId, stats: WavStats): void;
  announcement(room: AbId, fileId: string, playing: boolean): void;
}

/**
 * What a room does with its mix whoever is in it, held by its {@link Mixer}: the room's hold (it
 * exists on the edge), the `.wav` recording, the RTP forwarders, the playing files. The mixer keeps
 * ticking, and the hub keeps the mixer, while any of them is there ({@link busy}).
 */
export class RoomMedia {
  /** The room holds its mixer (`ab.room`). */
  held = false;
  recorder: WavRecorder | undefined;
  readonly forwarders: MixForwarders;
  readonly players = new Map<string, FilePlayer>();
  /** The full mix, clipped, for the recording and the forwarders. */
  private readonly full: Int16Array;

  constructor(
    private readonly room: AbId,
    samples: number,
    channels: 1 | 2,
    rate: number,
    private readonly events: RoomMediaEvents,
    private readonly log: Logger,
  ) {
    this.forwarders = new MixForwarders(rate, channels);
    this.full = new Int16Array(samples * channels);
  }

  get busy(): boolean {
    return this.held || this.recorder !== undefined || this.forwarders.size > 0 || this.players.size > 0;
  }

  /** Adds this tick of every playing file into the mix (and its group's); how many contributed. */
  addSources(sum: Int32Array, samples: number, stereo: boolean, groups: GroupMixes): number {
    let n = 0;
    for (const p of this.players.values()) {
      const wasStarted = p.started;
      if (p.mixInto(sum, samples, stereo, groups.target(p.group))) n++;
      if (!wasStarted && p.started) this.events.announcement(this.room, p.fileId, true);
    }
    return n;
  }

  /**
   * After the tick: the whole mix to the recording (while participants are in, as Janus), and to the
   * forwarders the whole mix or their group's.
   */
  mixed(sum: Int32Array, participants: number, playing: number, groups: GroupMixes): void {
    if (this.recorder || this.forwarders.size > 0) {
      const out = this.full;
      for (let i = 0; i < out.length; i++) {
        const v = sum[i]!;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      if (this.recorder && participants > 0) this.recorder.write(out);
      try {
        this.forwarders.send(out, participants + playing > 0, groups);
      } catch (err) {
        this.log.warn('audiobridge forwarder encode failed', { err: String(err) });
      }
    }
    for (const p of this.players.values()) if (p.ended) this.stopPlayer(p.fileId);
  }

  /** Stops one file (its `announcement-stopped`); false when none has that id. */
  stopPlayer(fileId: string): boolean {
    const p = this.players.get(fileId);
    if (!p) return false;
    this.players.delete(fileId);
    p.close();
    this.events.announcement(this.room, fileId, false);
    return true;
  }

  /** Stops the recording, fixes its header and reports it; undefined when none was running. */
  async stopRecording(): Promise<WavStats | undefined> {
    const r = this.recorder;
    if (!r) return undefined;
    this.recorder = undefined;
    const stats = await r.close();
    this.events.recordingDone(this.room, stats);
    return stats;
  }

  /** Everything stops: files (with their events), forwarders, the recording (closed and reported). */
  async close(): Promise<void> {
    this.held = false;
    for (const id of [...this.players.keys()]) this.stopPlayer(id);
    this.forwarders.close();
    await this.stopRecording();
  }
}
