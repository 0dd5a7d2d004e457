import type { StreamingSrtp } from '../../../shared/control/streaming.js';
import { stError, StreamingError } from './errors.js';

/** SDES inline crypto: base64 of a 16-byte master key and a 14-byte master salt. */
const CRYPTO_BYTES = 30;

function isSdesCrypto(crypto: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(crypto)) return false;
  const bytes = Math.floor((crypto.replace(/=+$/, '').length * 3) / 4);
  return bytes === CRYPTO_BYTES;
}

/**
 * A mountpoint's SRTP ingest (Janus `srtpsuite` 32|80 and `srtpcrypto`), checked as the reference
 * does: another suite is 456 "invalid SRTP suite", crypto that is not a 30-byte key + salt 456 too.
 * One without the other is refused (453): the reference would create a plain RTP mountpoint,
 * silently ignoring the option.
 */
export function srtpOption(c: { srtpsuite?: number; srtpcrypto?: string }): StreamingSrtp | undefined {
  if (c.srtpsuite === undefined && c.srtpcrypto === undefined) return undefined;
  if (c.srtpsuite === undefined) throw stError(StreamingError.MISSING_ELEMENT, 'Missing mandatory element (srtpsuite)');
  if (c.srtpcrypto === undefined)
    throw stError(StreamingError.MISSING_ELEMENT, 'Missing mandatory element (srtpcrypto)');
  if (c.srtpsuite !== 32 && c.srtpsuite !== 80)
    throw stError(StreamingError.CANT_CREATE, "Can't add 'rtp' stream, invalid SRTP suite...");
  if (!isSdesCrypto(c.srtpcrypto)) throw stError(StreamingError.CANT_CREATE, "Error creating 'rtp' stream");
  return { suite: c.srtpsuite, crypto: c.srtpcrypto };
}
