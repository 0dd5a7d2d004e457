import type { Logger } from '../logger.js';
import { loadKoffi } from '../srtp/libcrypto.js';

/**
 * Dropping a recording's written pages from the page cache: a relay writing many recordings would
 * otherwise fill the host's memory with file pages nobody reads again (they count against a
 * container's memory limit). After an fdatasync the pages are clean, and
 * posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) lets the kernel drop them at once. Called through
 * koffi on its own worker thread (never on the event loop); where libc cannot be loaded the relay says
 * so once and records without it.
 */

const POSIX_FADV_DONTNEED = 4;

type AsyncFadvise = (
  fd: number,
  offset: number,
  length: number,
  advice: number,
  done: (err: unknown, res: number) => void,
) => void;

let fadvise: AsyncFadvise | null | undefined;
let reported = false;

function load(): AsyncFadvise | undefined {
  if (fadvise !== undefined) return fadvise ?? undefined;
  fadvise = null;
  const koffi = loadKoffi();
  if (!koffi || process.platform !== 'linux') return undefined;
  try {
    const fn = koffi.load('libc.so.6').func('posix_fadvise', 'int', ['int', 'int64_t', 'int64_t', 'int']);
    fadvise = (fd, offset, length, advice, done) => fn.async(fd, offset, length, advice, done);
  } catch {
    fadvise = null;
  }
  return fadvise ?? undefined;
}

/** Whether written pages can be dropped in this process. */
export function pageCacheControlAvailable(): boolean {
  return load() !== undefined;
}

/** Drops the (clean: call after fdatasync) cached pages of `fd`; never rejects. */
export function dropCachedPages(fd: number, log: Logger): Promise<void> {
  const fn = load();
  if (!fn) {
    if (!reported) {
      reported = true;
      log.warn('recordings stay in the page cache: posix_fadvise is not reachable (koffi or libc missing)');
    }
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    fn(fd, 0, 0, POSIX_FADV_DONTNEED, () => resolve());
  });
}
