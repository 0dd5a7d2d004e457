/**
 * HMAC-signed tokens (§1.7): `<expiry>,<realm>[,<data>...]:<base64(HMAC-SHA1(secret, "<expiry>,<realm>,..."))>`.
 * They cannot be revoked before they expire.
 */
export interface SignedToken {
  expiry: number;
  realm: string;
  data: string[];
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let k = keyCache.get(secret);
  if (!k) {
    k = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, [
      'sign',
    ]);
    keyCache.set(secret, k);
  }
  return k;
}

function toBase64(bytes: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export async function signToken(secret: string, payload: string): Promise<string> {
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(secret), new TextEncoder().encode(payload));
  return `${payload}:${toBase64(sig)}`;
}

/** Returns the parsed token when its signature, realm and expiry are valid, else undefined. */
export async function verifySignedToken(
  secret: string,
  token: string,
  realm: string,
  nowMs = Date.now(),
): Promise<SignedToken | undefined> {
  const colon = token.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const payload = token.slice(0, colon);
  const parts = payload.split(',');
  if (parts.length < 2) return undefined;
  const expiry = Number(parts[0]);
  if (!Number.isFinite(expiry) || expiry * 1000 < nowMs) return undefined;
  if (parts[1] !== realm) return undefined;
  const expected = await signToken(secret, payload);
  if (!constantTimeEqual(expected, token)) return undefined;
  return { expiry, realm: parts[1], data: parts.slice(2) };
}

export { constantTimeEqual };
