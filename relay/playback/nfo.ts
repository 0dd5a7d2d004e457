/**
 * Janus Record&Play `.nfo` files (janus_recordplay.c): one INI section named by the recording's id,
 * with `name`, `date` and the `.mjr` files of its `audio`, `video` and `data` (relative to the folder,
 * with or without the `.mjr` suffix).
 *
 *     [12345678]
 *     name = My videoroom recording
 *     date = 2014-10-14 17:11:26
 *     audio = videoroom-audio.mjr
 *     video = videoroom-video.mjr
 */
export interface NfoEntry {
  id: number;
  name: string;
  date: string;
  audio?: string;
  video?: string;
  data?: string;
}

/** A file name inside the folder: no path separators, no `..` (a `.nfo` cannot point outside). */
function safeFile(value: string | undefined): string | undefined {
  if (value === undefined || value === '' || /[/\\\0]/.test(value) || value === '.' || value === '..') return undefined;
  return value.endsWith('.mjr') ? value : `${value}.mjr`;
}

/** Parses one `.nfo`; undefined when it names no valid recording (Janus skips such files too). */
export function parseNfo(text: string): NfoEntry | undefined {
  let section: string | undefined;
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      // Only the first section describes the recording.
      if (section !== undefined) break;
      section = header[1]!.trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (section === undefined || eq < 0) continue;
    values.set(line.slice(0, eq).trim(), unquote(line.slice(eq + 1).trim()));
  }
  if (section === undefined || !/^\d+$/.test(section)) return undefined;
  const id = Number(section);
  if (!Number.isSafeInteger(id) || id <= 0) return undefined;
  const name = values.get('name');
  const date = values.get('date');
  if (!name || !date) return undefined;
  const audio = safeFile(values.get('audio'));
  const video = safeFile(values.get('video'));
  const data = safeFile(values.get('data'));
  if (!audio && !video && !data) return undefined;
  return {
    id,
    name,
    date,
    ...(audio ? { audio } : {}),
    ...(video ? { video } : {}),
    ...(data ? { data } : {}),
  };
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}
