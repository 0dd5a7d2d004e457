import { VIDEOROOM_PLUGIN } from '../../../shared/control/sfu.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import {
  filenameTarget,
  realTimeMicros,
  recordingDirProblem,
  safeBase,
  type RecordingTarget,
} from '../recordingPath.js';
import { errorCode, VideoRoomError, VR, vrError } from './errors.js';
import type { Room } from './room.js';
import * as S from './schemas.js';
import type { JanusData, Publisher } from './state.js';

/** A publisher's recording fields of `publish`, `configure` or `joinandconfigure`. */
export interface RecordingRequest {
  record?: boolean;
  filename?: string;
  secret?: string;
}

/** The recording fields of a publisher's request, if it has any. */
export function recordingRequest(body: RecordingRequest): RecordingRequest | undefined {
  if (body.record === undefined && body.filename === undefined) return undefined;
  return { record: body.record, filename: body.filename, secret: body.secret };
}

/**
 * Recording (§5.1 record/rec_dir/lock_record, §5.2 enable_recording, §5.3 record/filename): the room
 * decides who records and under which names, the publisher's relay writes the `.mjr` files
 * (`peer.record`, naming per m-line). As in Janus, a recording publisher (`record`) is recorded
 * whenever it publishes, the room's `record` makes every publisher recording when it publishes, and
 * names are `videoroom-<room>-user-<id>-<µs>` or the publisher's `filename`, inside the room's
 * `rec_dir`. Unlike Janus, a request the room cannot honour is refused and changes nothing.
 */
export class Recordings {
  constructor(private readonly room: Room) {}

  /** A room's `rec_dir` (create, or edit's `new_rec_dir`): absolute, inside RECORDINGS_ROOT when set; '' is none. */
  checkDir(name: string, dir: string | undefined): void {
    if (!dir) return;
    const problem = recordingDirProblem(dir, this.room.host.limits.recordingsRoot);
    if (problem) throw vrError(VideoRoomError.INVALID_ELEMENT, `Invalid element (${name}: ${problem})`);
  }

  /** A publisher's request, before anything changes: a usable filename, and the secret with `lock_record`. */
  check(req: RecordingRequest | undefined): void {
    if (!req) return;
    const o = this.room.current().options;
    if (req.filename !== undefined) this.target(req.filename);
    // Janus (configure/publish) ignores a locked change quietly; refused here, so the client knows.
    if (o.lock_record && o.secret !== undefined) this.room.checkSecret(req.secret);
  }

  /**
   * `configure` without an offer: the change applies at once (recording starts if it publishes, stops
   * if not wanted any more). A relay that cannot start it: the request fails and changes nothing.
   */
  async configure(p: Publisher, req: RecordingRequest): Promise<void> {
    this.check(req);
    const before = { record: p.record, filename: p.filename };
    this.apply(p, req);
    try {
      if (p.record) await this.start(p);
      else await this.stop(p);
    } catch (err) {
      Object.assign(p, before);
      this.room.save();
      throw startFailed(err);
    }
  }

  /**
   * After a publish or renegotiation (as Janus at every SDP): a recorded room or recording publisher
   * records; the relay opens files for m-lines a renegotiation added by itself. The negotiation stands
   * whatever the relay answers: a failure is returned, for the plugin to report.
   */
  async published(p: Publisher, req: RecordingRequest | undefined): Promise<string | undefined> {
    if (req) this.apply(p, req);
    if (this.room.current().options.record) p.record = true;
    this.room.save();
    try {
      if (p.record) await this.start(p);
      else await this.stop(p);
      return undefined;
    } catch (err) {
      const reason = startFailed(err).message;
      this.room.host.log.warn('recording did not start', { room: this.room.current().room, id: p.id, reason });
      return reason;
    }
  }

  /**
   * `enable_recording`: the room's `record`, and every publisher's, set to `record`; publishing
   * ones start or stop at once. Nothing happens when the room is already so (Janus). If a relay
   * cannot start one, those started are stopped again and the request fails, changing nothing.
   */
  async enable(body: Record<string, unknown>): Promise<JanusData> {
    const { secret, record } = parseJanus(S.enableRecordingSchema, body, VR);
    const r = this.room.current();
    this.room.checkSecret(secret);
    if ((r.options.record ?? false) === record) return { videoroom: 'success', record };
    // Remote publishers too (recorded on the relay their RTP reaches), once their relay took them.
    const local = r.publishers.filter((p) => !p.handleless || p.relay);
    const before = new Map(local.map((p) => [p, p.record]));
    const recordingAlready = new Set(local.filter((p) => p.recording));
    r.options.record = record;
    for (const p of local) p.record = record;
    this.room.save();
    if (!record) {
      await Promise.all(local.map((p) => this.stop(p)));
      return { videoroom: 'success', record };
    }
    const started = await Promise.allSettled(local.map((p) => this.start(p)));
    const failed = started.findIndex((s) => s.status === 'rejected');
    if (failed >= 0) {
      r.options.record = false;
      for (const [p, was] of before) p.record = was;
      await Promise.all(local.filter((p) => !recordingAlready.has(p)).map((p) => this.stop(p)));
      this.room.save();
      throw startFailed((started[failed] as PromiseRejectedResult).reason, local[failed]);
    }
    return { videoroom: 'success', record };
  }

  /**
   * Its PeerConnection is gone or going (unpublish, leave, kick, hangup): the relay closes the files
   * with the peer; told explicitly too, in case the peer outlives this. As Janus, the filename goes.
   */
  stopped(p: Publisher): void {
    p.filename = undefined;
    void this.stop(p);
  }

  private apply(p: Publisher, req: RecordingRequest): void {
    if (req.filename !== undefined) p.filename = req.filename;
    if (req.record !== undefined) p.record = req.record;
    this.room.save();
  }

  /** Starts recording a publishing publisher (one that does not publish yet starts when it does). */
  private async start(p: Publisher): Promise<void> {
    if (p.recording || !p.relay || !p.streams) return;
    const target = this.nameOf(p);
    await this.room.host.relays.command(p.relay, {
      op: 'peer.record',
      sessionId: p.sessionId,
      handleId: p.handleId,
      record: true,
      ...(target.dir ? { dir: target.dir } : {}),
      base: target.base,
      naming: 'mline',
      report: { plugin: VIDEOROOM_PLUGIN, ids: { room: this.room.current().room, id: p.id } },
    });
    p.recording = target;
    this.room.save();
  }

  private async stop(p: Publisher): Promise<void> {
    const relay = p.relay;
    if (!p.recording) return;
    p.recording = undefined;
    this.room.save();
    if (!relay) return;
    // A peer already gone has closed its files: the relay's "no such peer" changes nothing.
    await this.room.host.relays
      .command(relay, { op: 'peer.record', sessionId: p.sessionId, handleId: p.handleId, record: false })
      .then(
        () => undefined,
        (err: unknown) => this.room.host.log.debug('recording stop not applied', { id: p.id, error: String(err) }),
      );
  }

  /** Janus's names: the publisher's `filename`, else `videoroom-<room>-user-<id>-<µs now>`, in `rec_dir`. */
  private nameOf(p: Publisher): RecordingTarget {
    const r = this.room.current();
    if (p.filename !== undefined) return this.target(p.filename);
    const dir = r.options.rec_dir || undefined;
    const base = safeBase(`videoroom-${r.room}-user-${p.id}-${realTimeMicros(this.room.host.now())}`);
    return dir ? { dir, base } : { base };
  }

  private target(filename: string): RecordingTarget {
    const r = this.room.current();
    const t = filenameTarget(filename, r.options.rec_dir || undefined, this.room.host.limits.recordingsRoot);
    if (typeof t === 'string') throw vrError(VideoRoomError.INVALID_ELEMENT, `Invalid element (filename: ${t})`);
    return t;
  }
}

/** A relay that could not start recording: Janus's 499 with the relay's reason (a refused name keeps its 430). */
function startFailed(err: unknown, p?: Publisher) {
  const reason = err instanceof Error ? err.message : String(err);
  if (errorCode(err) === VideoRoomError.INVALID_ELEMENT) return vrError(VideoRoomError.INVALID_ELEMENT, reason);
  const who = p ? ` of user ${p.id}` : '';
  return vrError(VideoRoomError.UNKNOWN_ERROR, `Error starting recording${who} (${reason})`);
}
