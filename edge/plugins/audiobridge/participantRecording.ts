import { AUDIOBRIDGE_PLUGIN } from '../../../shared/control/audiobridge.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { z } from 'zod';
import { AB, abError, AudioBridgeError } from './errors.js';
import type { AudioRoom } from './room.js';
import { ensureRoomMedia } from './roomMedia.js';
import { abRoomIdSchema, type ConfigureRequest, type JoinRequest } from './schemas.js';
import type { AbParticipant, AbRoomState, JanusData } from './state.js';

const enableMjrsSchema = z.object({
  room: abRoomIdSchema,
  secret: z.string().optional(),
  mjrs: z.boolean(),
  mjrs_dir: z.string().max(1024).optional(),
});

/** Where a participant's `.mjr` goes: Janus's `<mjrs_dir>/<filename or audiobridge-<room>-user-<id>-<µs>>-audio.mjr`. */
function target(r: AbRoomState, p: AbParticipant): { dir?: string; base: string } {
  const roomDir = r.media?.mjrs_dir;
  const name = p.mjr?.base ?? `audiobridge-${r.room}-user-${p.id}-${Date.now() * 1000}`;
  const slash = name.lastIndexOf('/');
  if (slash < 0) return { ...(roomDir !== undefined ? { dir: roomDir } : {}), base: name };
  const dir = name.slice(0, slash);
  const base = name.slice(slash + 1);
  if (dir.startsWith('/')) return { dir, base };
  if (roomDir === undefined)
    throw abError(
      AudioBridgeError.INVALID_ELEMENT,
      "Invalid element (filename: a relative path needs the room's mjrs_dir)",
    );
  return { dir: `${roomDir}/${dir}`, base };
}

/**
 * Janus's `mjrs`: what each participant sends recorded to its own `.mjr` (room-wide with `mjrs` at
 * create or `enable_mjrs`, or per participant with `record`/`filename` on join and configure), by
 * `peer.record` on the participant's relay once its media is up. Plain-RTP participants are not
 * recorded: asking for it is refused.
 */
export class ParticipantRecording {
  constructor(private readonly room: AudioRoom) {}

  /** Join or configure: the participant's own `record`/`filename` (as Janus: the room's mjrs wins). */
  fromRequest(r: AbRoomState, p: AbParticipant, j: JoinRequest | ConfigureRequest): boolean {
    if (p.plainRtp && j.record === true)
      throw abError(
        AudioBridgeError.INVALID_ELEMENT,
        'Invalid element (record: plain-RTP participants are not recorded)',
      );
    const before = p.mjr?.active ?? false;
    const mjrs = r.media?.mjrs === true;
    const base = j.filename ?? p.mjr?.base;
    const active = mjrs || j.record !== undefined ? mjrs || j.record === true : before;
    const next = { active: active && !p.plainRtp, ...(base !== undefined ? { base } : {}) };
    // a bad filename is refused now (changing nothing), not when the media comes
    if (j.filename !== undefined) target(r, { ...p, mjr: next });
    p.mjr = next;
    return next.active !== before;
  }

  /** The participant's media is up (or its recording changed): its relay starts or stops the file. */
  apply(r: AbRoomState, p: AbParticipant): void {
    if (!p.relay || p.plainRtp || !p.setup) return;
    const active = p.mjr?.active === true;
    const cmd = active
      ? {
          op: 'peer.record' as const,
          sessionId: p.sessionId,
          handleId: p.handleId,
          record: true,
          ...target(r, p),
          naming: 'kind' as const,
          report: { plugin: AUDIOBRIDGE_PLUGIN, ids: { room: r.room, id: p.id } },
        }
      : {
          op: 'peer.record' as const,
          sessionId: p.sessionId,
          handleId: p.handleId,
          record: false,
          naming: 'kind' as const,
        };
    this.room.host.relays
      .command(p.relay, cmd)
      .catch((err: unknown) =>
        this.room.host.log.warn('relay did not record a participant', { room: r.room, id: p.id, error: String(err) }),
      );
  }

  /** `enable_mjrs`: every participant recorded (or no longer), from now on and for those who join. */
  enableMjrs(body: Record<string, unknown>): JanusData {
    const e = parseJanus(enableMjrsSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(e.secret);
    const m = ensureRoomMedia(r);
    if (e.mjrs && e.mjrs_dir !== undefined) m.mjrs_dir = e.mjrs_dir;
    if ((m.mjrs ?? false) !== e.mjrs) {
      m.mjrs = e.mjrs;
      for (const p of r.participants) {
        if (p.plainRtp) continue;
        const was = p.mjr?.active ?? false;
        p.mjr = { ...p.mjr, active: e.mjrs };
        if (was !== e.mjrs) this.apply(r, p);
      }
    }
    this.room.save();
    return { audiobridge: 'success', mjrs: e.mjrs };
  }
}
