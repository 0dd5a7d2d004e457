import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { RecordingSummary } from '../../shared/control/playback.js';
import { readMjrHeader } from '../recording/mjrReader.js';
import { parseNfo } from './nfo.js';

/** The folder of recordings this relay plays (Janus recordplay's `path`): `RELAY_RECORDPLAY_DIR`, else `./recordings`. */
export function recordingsFolder(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.RELAY_RECORDPLAY_DIR?.trim();
  if (!dir) return resolve('recordings');
  return isAbsolute(dir) ? dir : resolve(dir);
}

/**
 * The recordings of a folder, from its `.nfo` files, each track with the codec its `.mjr` header
 * names. A track whose file is missing or unreadable is left out (as Janus does); a recording left
 * with no audio and no video is not listed. Ids are unique: the first file (by name) wins.
 */
export async function listRecordings(folder: string): Promise<RecordingSummary[]> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((n) => n.endsWith('.nfo')).sort();
  } catch {
    return [];
  }
  const out = new Map<number, RecordingSummary>();
  for (const name of names) {
    const entry = parseNfo(await readFile(join(folder, name), 'utf8').catch(() => ''));
    if (!entry || out.has(entry.id)) continue;
    const track = async (file: string | undefined, kind: 'audio' | 'video') => {
      if (!file) return undefined;
      const header = await readMjrHeader(join(folder, file)).catch(() => undefined);
      return header && header.kind === kind && !header.encrypted ? { file, codec: header.codec } : undefined;
    };
    const audio = await track(entry.audio, 'audio');
    const video = await track(entry.video, 'video');
    if (!audio && !video) continue;
    out.set(entry.id, {
      id: entry.id,
      name: entry.name,
      date: entry.date,
      ...(audio ? { audio } : {}),
      ...(video ? { video } : {}),
      ...(entry.data ? { data: { file: entry.data } } : {}),
    });
  }
  return [...out.values()];
}

export async function findRecording(folder: string, id: number): Promise<RecordingSummary | undefined> {
  return (await listRecordings(folder)).find((r) => r.id === id);
}
