/**
 * Mutual authentication of the edge⇄relay control socket.
 *
 * 1. The relay opens `GET ${EDGE_URL}/relay/connect` with `authorization: Bearer <secret>`; the edge
 *    checks it with {@link checkBearer} before upgrading.
 * 2. The relay's first message is `register` carrying a fresh random `nonce` ({@link createNonce}).
 * 3. The edge answers `welcome` with `proof = base64(HMAC-SHA256(secret, nonce))` ({@link computeProof});
 *    the relay checks it with {@link verifyProof} and executes no command before that succeeds.
 *
 * Only WebCrypto (`crypto.subtle`, `crypto.getRandomValues`, `btoa`/`atob`) is used, so this module runs
 * unchanged in Node 20 and in Cloudflare Workers.
 */

const encoder = new TextEncoder();

async function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** A fresh random nonce (32 bytes, base64). */
export function createNonce(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** `base64(HMAC-SHA256(secret, nonce))`, what the edge puts in `welcome.proof`. */
export async function computeProof(secret: string, nonce: string): Promise<string> {
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(nonce));
  return toBase64(new Uint8Array(sig));
}

/** Constant-time check of a `welcome.proof` (WebCrypto's HMAC verify compares in constant time). */
export async function verifyProof(secret: string, nonce: string, proof: string): Promise<boolean> {
  const sig = fromBase64(proof);
  if (!sig || sig.length !== 32) return false;
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), sig, encoder.encode(nonce));
}

/** The `authorization` header value the relay sends when it connects. */
export function bearer(secret: string): string {
  return `Bearer ${secret}`;
}

/** Constant-time check of an `authorization: Bearer <secret>` header (edge side). */
export function checkBearer(header: string | null | undefined, secret: string): boolean {
  if (!header || !header.startsWith('Bearer ')) return false;
  const a = encoder.encode(header.slice('Bearer '.length));
  const b = encoder.encode(secret);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}
