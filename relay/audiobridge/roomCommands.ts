import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { AUDIOBRIDGE_PLUGIN } from '../../shared/control/audiobridge.js';
import type { CommandOf } from '../../shared/control/commands.js';
import type { CommandContext, Outcome } from '../commands/context.js';
import { Codes, RelayError } from '../errors.js';
import { recordingDir } from '../recording/recordingDir.js';
import { FilePlayer } from './filePlayer.js';
import { MixForwarder } from './forwarders.js';
import type { Mixer } from './mixer.js';
import { WavRecorder } from './wavRecorder.js';

/** Janus's AudioBridge codes the relay answers with for room-level ops. */
const AB_ID_EXISTS = 490;
const AB_UNKNOWN_ERROR = 499;

export type RoomOp =
  | CommandOf<'ab.room'>
  | CommandOf<'ab.record'>
  | CommandOf<'ab.forward'>
  | CommandOf<'ab.stopForward'>
  | CommandOf<'ab.play'>
  | CommandOf<'ab.stopPlay'>;

export const ROOM_OPS: ReadonlySet<string> = new Set<RoomOp['op']>([
  'ab.room',
  'ab.record',
  'ab.forward',
  'ab.stopForward',
  'ab.play',
  'ab.stopPlay',
]);

/**
 * The room-level AudioBridge ops: the mix recorded, forwarded, files played into it, whoever is in
 * the room. Each makes the room's mixer if needed and leaves it to the hub to close the mixer once
 * nothing uses it; nothing here runs on the mixer's tick.
 */
export async function executeRoomOp(ctx: CommandContext, cmd: RoomOp): Promise<Outcome> {
  const hub = ctx.audiobridge;
  hub.setRoomKey(cmd.mixer, cmd.sessionId, cmd.handleId);
  switch (cmd.op) {
    case 'ab.room': {
      if (!cmd.close) {
        const m = hub.ensure(cmd.mixer, cmd.mixerSettings);
        m.media.held = true;
        m.keepTicking();
        return { result: {} };
      }
      const m = hub.mixer(cmd.mixer);
      if (m) {
        await m.media.close();
        hub.closeIfIdle(m);
      }
      return { result: {} };
    }
    case 'ab.record':
      return { result: { path: await record(ctx, cmd) } };
    case 'ab.forward': {
      if (ctx.isDraining()) throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is draining');
      const { op: _o, sessionId: _s, handleId: _h, mixer: key, mixerSettings, ...spec } = cmd;
      const existing = hub.mixer(key)?.media.forwarders.byId.get(spec.streamId);
      if (existing) throw new RelayError(AB_ID_EXISTS, `Forwarder ${spec.streamId} exists`);
      const log = ctx.logger.child({ mixer: key });
      const f = await MixForwarder.open(spec, hub.opts.mediaPorts, hub.opts.bindAddress, log);
      const m = hub.ensure(key, mixerSettings);
      m.media.forwarders.add(f);
      m.keepTicking();
      return { result: { host: f.address } };
    }
    case 'ab.stopForward': {
      const m = hub.mixer(cmd.mixer);
      const stopped = m?.media.forwarders.remove(cmd.streamId) ?? false;
      if (m) hub.closeIfIdle(m);
      return { result: { stopped } };
    }
    case 'ab.play':
      await play(ctx, cmd);
      return { result: {} };
    case 'ab.stopPlay': {
      const m = hub.mixer(cmd.mixer);
      if (!m) return { result: { stopped: [] } };
      const ids = cmd.fileId !== undefined ? [cmd.fileId] : [...m.media.players.keys()];
      const stopped = ids.filter((id) => m.media.stopPlayer(id));
      hub.closeIfIdle(m);
      return { result: { stopped } };
    }
  }
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Starts or stops the room's `.wav`; the path being written, or null. */
async function record(ctx: CommandContext, cmd: CommandOf<'ab.record'>): Promise<string | null> {
  const hub = ctx.audiobridge;
  if (!cmd.record) {
    const m = hub.mixer(cmd.mixer);
    if (m) {
      await m.media.stopRecording();
      hub.closeIfIdle(m);
    }
    return null;
  }
  const current = hub.mixer(cmd.mixer)?.media.recorder;
  if (current) return current.path;
  const room = cmd.mixerSettings.room;
  // Janus's name when the room gives none: janus-audioroom-<room>-<µs since the epoch>.wav
  const name = cmd.file ?? `janus-audioroom-${room}-${Date.now() * 1000}.wav`;
  const dir = await recordingDir(cmd.dir, ctx.recordings);
  const path = resolve(dir, name);
  if (!inside(path, dir)) throw new RelayError(Codes.RECORDING_DIR, `Recording file ${name} is outside ${dir}`);
  if (dirname(path) !== dir) await recordingDir(dirname(path), ctx.recordings);
  const m = hub.ensure(cmd.mixer, cmd.mixerSettings);
  let rec: WavRecorder;
  try {
    rec = await WavRecorder.create(path, m.settings.samplingRate, m.channels, ctx.logger.child({ mixer: cmd.mixer }));
  } catch (err) {
    hub.closeIfIdle(m);
    throw new RelayError(AB_UNKNOWN_ERROR, `Could not open ${path} for writing (${(err as Error).message})`);
  }
  if (m.media.recorder || !hub.mixer(cmd.mixer)) {
    // another record op won meanwhile, or the room closed: this file is not needed
    await rec.close();
    return m.media.recorder?.path ?? null;
  }
  m.media.recorder = rec;
  if (ctx.recordings.hook) rec.hookWhenClosed(ctx.recordings.hook, { plugin: AUDIOBRIDGE_PLUGIN, ids: { room } });
  m.keepTicking();
  return path;
}

/** Opens an announcement (confined to RELAY_RECORDINGS_ROOT when the relay has one) and adds it to the mix. */
async function play(ctx: CommandContext, cmd: CommandOf<'ab.play'>): Promise<void> {
  const hub = ctx.audiobridge;
  if (hub.mixer(cmd.mixer)?.media.players.has(cmd.fileId))
    throw new RelayError(AB_ID_EXISTS, `File ID exists (${cmd.fileId})`);
  const root = ctx.recordings.root;
  const path = resolve(cmd.path);
  if (root !== undefined) {
    const real = await realpath(path).catch(() => path);
    const realRoot = await realpath(root).catch(() => resolve(root));
    if (!inside(path, resolve(root)) || !inside(real, realRoot))
      throw new RelayError(Codes.RECORDING_DIR, `File ${path} is outside RELAY_RECORDINGS_ROOT (${root})`);
  }
  const log = ctx.logger.child({ mixer: cmd.mixer });
  let player: FilePlayer;
  try {
    player = await FilePlayer.open(cmd.fileId, path, cmd.loop, cmd.mixerSettings.samplingRate, log);
  } catch (err) {
    log.info('announcement not opened', { path, err: String(err) });
    throw new RelayError(AB_UNKNOWN_ERROR, 'Error opening file');
  }
  const m: Mixer = hub.ensure(cmd.mixer, cmd.mixerSettings);
  if (m.media.players.has(cmd.fileId)) {
    player.close();
    throw new RelayError(AB_ID_EXISTS, `File ID exists (${cmd.fileId})`);
  }
  player.group = cmd.group;
  m.media.players.set(cmd.fileId, player);
  m.keepTicking();
}
