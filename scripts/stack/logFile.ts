/**
 * Where `npm start` keeps each process's full output: `.tmp/logs/<name>.log`, appended across
 * restarts and kept after stop (the console only shows what is on the processes' stderr).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';

export function logFile(root: string, name: string): WriteStream {
  const dir = resolve(root, '.tmp', 'logs');
  mkdirSync(dir, { recursive: true });
  const stream = createWriteStream(resolve(dir, `${name}.log`), { flags: 'a' });
  // A full disk must not take the stack down with it.
  stream.on('error', () => undefined);
  return stream;
}
