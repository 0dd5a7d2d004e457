import { deriveSessionKeys, type DerivedKeys } from './kdf.js';
import { libcrypto } from './libcrypto.js';
import { LibcryptoSrtpProtector } from './libcryptoProtector.js';
import { NodeSrtpProtector } from './nodeProtector.js';
import type { SrtpProfile } from './profile.js';
import type { SrtpImplementation, SrtpProtector } from './protectorApi.js';

export type { SrtpImplementation, SrtpProtector } from './protectorApi.js';

/**
 * Chooses the SRTP implementation: libcrypto through koffi whenever it loads (test/relay/srtp runs
 * every vector against both), else Node's crypto.
 */

/** The implementation {@link createProtector} picks in this process. */
export function srtpImplementation(): SrtpImplementation {
  return libcrypto() ? 'libcrypto' : 'node';
}

/** A protector from session keys (RFC 7714's vectors are given that way), of the given implementation or the preferred one. */
export function protectorFromSessionKeys(
  profile: SrtpProfile,
  keys: DerivedKeys,
  implementation: SrtpImplementation = srtpImplementation(),
): SrtpProtector {
  const lc = implementation === 'libcrypto' ? libcrypto() : undefined;
  if (implementation === 'libcrypto' && !lc) throw new Error('libcrypto is not available');
  return lc ? new LibcryptoSrtpProtector(lc, profile, keys) : new NodeSrtpProtector(profile, keys);
}

/** A protector from the master key and salt DTLS-SRTP exported or SDES gave (RFC 3711 key derivation). */
export function createProtector(
  profile: SrtpProfile,
  masterKey: Buffer,
  masterSalt: Buffer,
  implementation?: SrtpImplementation,
): SrtpProtector {
  return protectorFromSessionKeys(profile, deriveSessionKeys(masterKey, masterSalt), implementation);
}
