import { z } from 'zod';
import { STREAMING_PLUGIN } from '../../../shared/control/streaming.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { filenameTarget } from '../recordingPath.js';
import { stError, ST, StreamingError } from './errors.js';
import type { Mountpoints } from './mountpoints.js';
import * as S from './schemas.js';
import type { JanusData, MountpointState, MountStream } from './state.js';

const actionSchema = z.object({ action: z.string() });
/** `media` entries are read loosely, as Janus does: one that is not an object, or lacks mid/filename, is skipped. */
const startSchema = z.object({
  media: z.array(z.unknown()).max(16).optional(),
  audio: z.string().optional(),
  video: z.string().optional(),
  data: z.string().optional(),
});
const stopSchema = z.object({
  media: z.array(z.unknown()).max(16).optional(),
  audio: z.boolean().optional(),
  video: z.boolean().optional(),
  data: z.boolean().optional(),
});
const disableSchema = z.object({ stop_recording: z.boolean().optional() });

/** A stream to start recording, and the `filename` the client gave it. */
interface Start {
  stream: MountStream;
  filename: string;
}

const entryField = (e: unknown, k: string) =>
  typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as Record<string, unknown>)[k] : undefined;

/**
 * The Streaming `recording` request (janus_streaming.c 1.1.2): `action` `start` records the streams the
 * `media` list names (`mid` + `filename`) or, the deprecated way, every stream of a kind given a
 * filename in `audio`/`video`/`data`; `stop` closes the named ones (`media` mids, or `audio`/`video`/
 * `data: true`). The mountpoint's home relay writes `<filename>.mjr` (`streaming.record`); a plain
 * name goes to the relay's recordings directory, an absolute path to its folder (inside
 * RECORDINGS_ROOT when set). Unlike Janus, a start that cannot be honoured for every stream starts none.
 */
export class MountpointRecording {
  /** `${id}:${mid}` of starts waiting for the relay: a second start of the same stream is refused. */
  private readonly pending = new Set<string>();

  constructor(private readonly mounts: Mountpoints) {}

  async request(body: Record<string, unknown>): Promise<JanusData> {
    const { action: raw } = parseJanus(actionSchema, body, ST);
    const action = raw.toLowerCase();
    if (action !== 'start' && action !== 'stop')
      throw stError(StreamingError.INVALID_ELEMENT, 'Invalid action (should be start|stop)');
    const { id } = parseJanus(S.idSchema, body, ST);
    const m = this.mounts.get(id);
    this.mounts.authorize(m, body.secret);
    if (action === 'start') await this.start(m, body);
    else await this.stop(m, this.toStop(m, body));
    return { streaming: 'ok' };
  }

  /** `disable`: with `stop_recording` (default true), every recording of the mountpoint stops, as Janus. */
  async disable(body: Record<string, unknown>): Promise<JanusData> {
    const { stop_recording } = parseJanus(disableSchema, body, ST);
    const answer = this.mounts.setEnabled(body, false);
    const m = this.mounts.get(parseJanus(S.idSchema, body, ST).id);
    if (stop_recording !== false) await this.stop(m, m.streams);
    return answer;
  }

  private async start(m: MountpointState, body: Record<string, unknown>): Promise<void> {
    const r = parseJanus(startSchema, body, ST);
    const starts = r.media ? this.fromMedia(m, r.media) : this.fromKinds(m, r);
    const targets = starts.map(({ stream, filename }) => {
      const t = filenameTarget(filename, undefined, this.mounts.host.recordingsRoot);
      if (typeof t === 'string') throw stError(StreamingError.INVALID_ELEMENT, `Invalid element (filename: ${t})`);
      return { stream, filename, target: t };
    });
    if (targets.length === 0) return;
    const keys = targets.map((t) => `${m.id}:${t.stream.mid}`);
    if (keys.some((k) => this.pending.has(k)))
      throw stError(
        StreamingError.INVALID_REQUEST,
        'Recording for audio, video and/or data already started for this stream',
      );
    for (const k of keys) this.pending.add(k);
    try {
      const res = await this.mounts.host.relays.command(m.home, {
        op: 'streaming.record',
        ...m.key,
        start: targets.map((t) => ({
          mid: t.stream.mid,
          base: t.target.base,
          ...(t.target.dir ? { dir: t.target.dir } : {}),
        })),
        report: { plugin: STREAMING_PLUGIN, ids: { id: m.id } },
      });
      if (this.mounts.all.get(m.id) !== m) return; // destroyed meanwhile: its files closed with it
      for (const t of targets) {
        const path = res.files.find((f) => f.mid === t.stream.mid)?.path;
        // Janus's info shows the recorder's file name: the base with `.mjr`
        t.stream.recording = { filename: `${t.target.base}.mjr`, ...(path ? { path } : {}) };
      }
      this.mounts.save(m);
    } catch (err) {
      const kind = targets[0]!.stream.type;
      const reason = err instanceof Error ? err.message : String(err);
      throw stError(StreamingError.CANT_RECORD, `Error starting recorder for ${kind} (${reason})`);
    } finally {
      for (const k of keys) this.pending.delete(k);
    }
  }

  /** The drill-down list: entries naming a stream of the mountpoint (others skipped, as Janus). */
  private fromMedia(m: MountpointState, media: unknown[]): Start[] {
    const starts: Start[] = [];
    for (const e of media) {
      const mid = entryField(e, 'mid');
      const filename = entryField(e, 'filename');
      if (typeof mid !== 'string' || typeof filename !== 'string') continue;
      const stream = m.streams.find((s) => s.mid.toLowerCase() === mid.toLowerCase());
      if (!stream) continue;
      if (stream.recording || starts.some((s) => s.stream === stream))
        throw stError(
          StreamingError.INVALID_REQUEST,
          'Recording for audio, video and/or data already started for this stream',
        );
      starts.push({ stream, filename });
    }
    return starts;
  }

  /** The deprecated way: every stream of a kind given a filename. */
  private fromKinds(m: MountpointState, r: z.infer<typeof startSchema>): Start[] {
    if (r.audio === undefined && r.video === undefined && r.data === undefined)
      throw stError(StreamingError.INVALID_REQUEST, 'Missing audio, video and/or data');
    const starts: Start[] = [];
    for (const stream of m.streams) {
      const filename = r[stream.type];
      if (filename === undefined) continue;
      if (stream.recording) throw stError(StreamingError.INVALID_REQUEST, 'Recording started for this stream');
      // Janus would open one file twice; refused rather than broken
      if (starts.some((s) => s.stream.type === stream.type))
        throw stError(
          StreamingError.INVALID_ELEMENT,
          `Invalid element (${stream.type} names one file for several ${stream.type} streams: use media)`,
        );
      starts.push({ stream, filename });
    }
    return starts;
  }

  private toStop(m: MountpointState, body: Record<string, unknown>): MountStream[] {
    const r = parseJanus(stopSchema, body, ST);
    if (r.media) {
      const mids = r.media.map((e) => entryField(e, 'mid')).filter((x): x is string => typeof x === 'string');
      return m.streams.filter((s) => mids.some((mid) => mid.toLowerCase() === s.mid.toLowerCase()));
    }
    if (r.audio === undefined && r.video === undefined && r.data === undefined)
      throw stError(StreamingError.INVALID_REQUEST, 'Missing audio, video and or data');
    return m.streams.filter((s) => r[s.type] === true);
  }

  /** Closes the streams' files on the home relay (a relay that lost them already changes nothing). */
  private async stop(m: MountpointState, streams: MountStream[]): Promise<void> {
    const recording = streams.filter((s) => s.recording);
    if (recording.length === 0) return;
    for (const s of recording) delete s.recording;
    this.mounts.save(m);
    await this.mounts.host.relays
      .command(m.home, { op: 'streaming.record', ...m.key, stop: recording.map((s) => s.mid) })
      .catch((err: unknown) =>
        this.mounts.host.log.warn('recording stop not applied', { id: m.id, error: String(err) }),
      );
  }
}
