import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NfoEntry } from './nfo.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** Janus's recording date: local time, `%Y-%m-%d %H:%M:%S`. */
export function janusDate(d: Date): string {
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A recording's `.nfo`, as janus_recordplay.c writes it (CRLF lines, files with their `.mjr`). */
export function nfoText(e: Omit<NfoEntry, 'data'>): string {
  // A line break in the name would end its line: the rest would be read as another key.
  const lines = [`[${e.id}]`, `name = ${e.name.replace(/[\r\n]+/g, ' ')}`, `date = ${e.date}`];
  if (e.audio) lines.push(`audio = ${e.audio}`);
  if (e.video) lines.push(`video = ${e.video}`);
  return lines.map((l) => `${l}\r\n`).join('');
}

/**
 * Writes `<id>.nfo` in the folder, synced (the recording hook may ship it at once); renamed into
 * place, so a `list` never reads half of it. Its path and size.
 */
export async function writeNfo(folder: string, id: number, text: string): Promise<{ path: string; bytes: number }> {
  const path = join(folder, `${id}.nfo`);
  const temp = `${path}.${process.pid}.tmp`;
  const data = Buffer.from(text, 'utf8');
  try {
    const fh = await open(temp, 'w', 0o644);
    try {
      await fh.writeFile(data);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { path, bytes: data.length };
}
