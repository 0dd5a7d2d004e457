import type { DerivedKeys, SessionKeys } from './kdf.js';
import type { Libcrypto } from './libcrypto.js';

/**
 * The libcrypto contexts of one SRTP key, made once for every packet it protects or unprotects: per
 * direction (SRTP, SRTCP) an AES-128 cipher context (CTR, or GCM) and, for AES-CM, an HMAC-SHA1
 * context. Their keys pass through the owner's own memory at `keysOffset` (libcrypto sees addresses
 * only) and are zeroed there once the contexts hold them. The contexts are freed when the owner (a
 * protector, an unprotect cipher) is garbage-collected: re-keyed or closed transports drop theirs.
 */
const contexts = new FinalizationRegistry<{ lc: Libcrypto; cipher: number[]; hmac: number[] }>(
  ({ lc, cipher, hmac }) => {
    for (const c of cipher) lc.EVP_CIPHER_CTX_free(c);
    for (const h of hmac) lc.HMAC_CTX_free(h);
  },
);

/** Bytes of the owner's memory the keys pass through: AES key (16) + HMAC key (20). */
export const KEYED_BYTES = 36;

/** One direction's contexts and its salt. */
export class KeyedDirection {
  readonly cipher: number = 0;
  readonly hmac: number = 0;
  readonly salt: Uint8Array;

  constructor(
    lc: Libcrypto,
    mem: Buffer,
    keysOffset: number,
    gcm: boolean,
    keys: SessionKeys,
    mode: 'encrypt' | 'decrypt',
  ) {
    const base = lc.address(mem);
    keys.key.copy(mem, keysOffset);
    keys.auth.copy(mem, keysOffset + 16);
    this.salt = Uint8Array.from(keys.salt);
    try {
      this.cipher = lc.EVP_CIPHER_CTX_new();
      const cipher = gcm ? lc.EVP_aes_128_gcm() : lc.EVP_aes_128_ctr();
      const key = base + keysOffset;
      let ok = !this.cipher
        ? 0
        : mode === 'encrypt'
          ? lc.EVP_EncryptInit_ex(this.cipher, cipher, 0, key, 0)
          : lc.EVP_DecryptInit_ex(this.cipher, cipher, 0, key, 0);
      if (!gcm) {
        this.hmac = lc.HMAC_CTX_new();
        ok &= this.hmac ? lc.HMAC_Init_ex(this.hmac, base + keysOffset + 16, keys.auth.length, lc.EVP_sha1(), 0) : 0;
      }
      if (ok !== 1) {
        this.free(lc);
        throw new Error('libcrypto refused the SRTP keys');
      }
    } finally {
      mem.fill(0, keysOffset, keysOffset + KEYED_BYTES);
    }
  }

  free(lc: Libcrypto): void {
    if (this.cipher) lc.EVP_CIPHER_CTX_free(this.cipher);
    if (this.hmac) lc.HMAC_CTX_free(this.hmac);
  }
}

/** Both directions of a key, freed with `owner`. */
export function keyDirections(
  owner: object,
  lc: Libcrypto,
  mem: Buffer,
  keysOffset: number,
  gcm: boolean,
  keys: DerivedKeys,
  mode: 'encrypt' | 'decrypt',
): { rtp: KeyedDirection; rtcp: KeyedDirection } {
  const rtp = new KeyedDirection(lc, mem, keysOffset, gcm, keys.rtp, mode);
  let rtcp: KeyedDirection;
  try {
    rtcp = new KeyedDirection(lc, mem, keysOffset, gcm, keys.rtcp, mode);
  } catch (err) {
    rtp.free(lc);
    throw err;
  }
  const both = [rtp, rtcp];
  contexts.register(owner, { lc, cipher: both.map((d) => d.cipher), hmac: both.map((d) => d.hmac).filter((h) => h) });
  return { rtp, rtcp };
}
