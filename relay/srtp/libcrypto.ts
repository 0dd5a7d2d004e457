import { createRequire } from 'node:module';
import type { LibraryHandle } from 'koffi';

/**
 * The few OpenSSL (libcrypto 3) entry points the relay's SRTP path calls through koffi, loaded once
 * per process. Pointer arguments the relay owns (contexts, its own long-lived buffers) are passed as
 * plain numbers (`uintptr_t`: a user-space address fits a double), so a call allocates nothing; a
 * packet's payload is passed as the Buffer it is. A call costs ~40 ns (measured: memset through
 * koffi), far below what Node's crypto costs per call.
 *
 * Which OpenSSL: the process's own first. Node carries one (linked in and its symbols exported, or
 * the system's libcrypto.so.3 when built against it). A second copy loaded from disk beside Node's
 * would not stay apart: libcrypto.so.3's calls to its own exported functions bind to the first
 * definition in the process (ELF interposition), i.e. to Node's, so one packet's protection would
 * run through the internals of two OpenSSL builds (seen with `perf`: `EVP_EncryptInit_ex` from
 * libcrypto.so.3 ran Node's `evp_cipher_init_internal`). That holds up while both are the same
 * version (Node 20's 3.0.19 and Debian 12's), and nothing assures it across versions (a
 * distribution's 3.5 beside Node's 3.0). libcrypto.so.3 is the fallback for a Node that exports no
 * OpenSSL symbols.
 *
 * `undefined` when neither loads (another platform, OpenSSL 1.1): the relay then keeps the
 * Node-crypto protector (relay/srtp/nodeProtector.ts).
 */
export interface Libcrypto {
  EVP_CIPHER_CTX_new(): number;
  EVP_CIPHER_CTX_free(ctx: number): void;
  EVP_aes_128_ctr(): number;
  EVP_aes_128_gcm(): number;
  EVP_EncryptInit_ex(ctx: number, cipher: number, engine: number, key: number, iv: number): number;
  /** `in` as a Buffer (a packet's payload). */
  EVP_EncryptUpdate(ctx: number, out: number, outl: number, input: Buffer, inl: number): number;
  /** `in` as an address (the relay's own buffer), `out` 0 for GCM's AAD. */
  EVP_EncryptUpdateAt(ctx: number, out: number, outl: number, input: number, inl: number): number;
  EVP_EncryptFinal_ex(ctx: number, out: number, outl: number): number;
  EVP_CIPHER_CTX_ctrl(ctx: number, type: number, arg: number, ptr: number): number;
  /** Inbound (relay/srtp/libcryptoUnprotect.ts): addresses only, in the unprotector's own memory. */
  EVP_DecryptInit_ex(ctx: number, cipher: number, engine: number, key: number, iv: number): number;
  EVP_DecryptUpdateAt(ctx: number, out: number, outl: number, input: number, inl: number): number;
  EVP_DecryptFinal_ex(ctx: number, out: number, outl: number): number;
  HMAC_CTX_new(): number;
  HMAC_CTX_free(ctx: number): void;
  EVP_sha1(): number;
  HMAC_Init_ex(ctx: number, key: number, keyLength: number, md: number, engine: number): number;
  HMAC_Update(ctx: number, data: number, length: number): number;
  HMAC_Final(ctx: number, md: number, length: number): number;
  /** The address of a Buffer's first byte (its backing store never moves). */
  address(buf: Buffer): number;
}

export const EVP_CTRL_GCM_GET_TAG = 0x10;
export const EVP_CTRL_GCM_SET_TAG = 0x11;

let loaded: Libcrypto | null | undefined;
let loadError: string | undefined;
let loadedFrom: LibcryptoSource | undefined;

/** Where the relay's libcrypto functions come from: Node's own OpenSSL, or libcrypto.so.3 loaded beside it. */
export type LibcryptoSource = 'process' | 'libcrypto.so.3';

/** koffi itself, or undefined where it does not load (shared with relay/net/directUdp.ts). */
export function loadKoffi(): typeof import('koffi') | undefined {
  try {
    return createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch {
    return undefined;
  }
}

function bind(koffi: typeof import('koffi'), lib: LibraryHandle): Libcrypto {
  const P = 'uintptr_t';
  const f = (name: string, ret: string, args: string[]) => lib.func(name, ret, args);
  const fns = {
    EVP_CIPHER_CTX_new: f('EVP_CIPHER_CTX_new', P, []),
    EVP_CIPHER_CTX_free: f('EVP_CIPHER_CTX_free', 'void', [P]),
    EVP_aes_128_ctr: f('EVP_aes_128_ctr', P, []),
    EVP_aes_128_gcm: f('EVP_aes_128_gcm', P, []),
    EVP_EncryptInit_ex: f('EVP_EncryptInit_ex', 'int', [P, P, P, P, P]),
    EVP_EncryptUpdate: f('EVP_EncryptUpdate', 'int', [P, P, P, 'const uint8_t *', 'int']),
    EVP_EncryptUpdateAt: f('EVP_EncryptUpdate', 'int', [P, P, P, P, 'int']),
    EVP_EncryptFinal_ex: f('EVP_EncryptFinal_ex', 'int', [P, P, P]),
    EVP_CIPHER_CTX_ctrl: f('EVP_CIPHER_CTX_ctrl', 'int', [P, 'int', 'int', P]),
    EVP_DecryptInit_ex: f('EVP_DecryptInit_ex', 'int', [P, P, P, P, P]),
    EVP_DecryptUpdateAt: f('EVP_DecryptUpdate', 'int', [P, P, P, P, 'int']),
    EVP_DecryptFinal_ex: f('EVP_DecryptFinal_ex', 'int', [P, P, P]),
    HMAC_CTX_new: f('HMAC_CTX_new', P, []),
    HMAC_CTX_free: f('HMAC_CTX_free', 'void', [P]),
    EVP_sha1: f('EVP_sha1', P, []),
    HMAC_Init_ex: f('HMAC_Init_ex', 'int', [P, P, 'int', P, P]),
    HMAC_Update: f('HMAC_Update', 'int', [P, P, 'size_t']),
    HMAC_Final: f('HMAC_Final', 'int', [P, P, P]),
  };
  return { ...(fns as unknown as Omit<Libcrypto, 'address'>), address: (buf) => Number(koffi.address(buf)) };
}

/** libcrypto through koffi, loaded on first use; undefined when unavailable or disabled (RELAY_SRTP=node). */
export function libcrypto(): Libcrypto | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (process.env.RELAY_SRTP === 'node') {
    loadError = 'RELAY_SRTP=node';
    return undefined;
  }
  const koffi = loadKoffi();
  if (!koffi) {
    loadError = 'koffi not installed';
    return undefined;
  }
  const errors: string[] = [];
  for (const source of ['process', 'libcrypto.so.3'] as const) {
    try {
      const lib = koffi.load(source === 'process' ? null : source);
      const version = lib.func('OpenSSL_version_num', 'unsigned long', []) as () => number;
      const v = version();
      if (v < 0x30000000) throw new Error(`OpenSSL ${v.toString(16)} is older than 3.0`);
      loaded = bind(koffi, lib);
      loadedFrom = source;
      return loaded;
    } catch (err) {
      errors.push(`${source}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  loadError = errors.join('; ');
  return undefined;
}

/** Which OpenSSL {@link libcrypto} bound, once it was asked and loaded. */
export function libcryptoSource(): LibcryptoSource | undefined {
  return loadedFrom;
}

/** Why {@link libcrypto} is unavailable (for the relay's start-up log), once it was asked. */
export function libcryptoUnavailableReason(): string | undefined {
  return loadError;
}
