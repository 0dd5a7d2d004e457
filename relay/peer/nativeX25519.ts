import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * werift's DTLS does its X25519 key exchange (the curve browsers offer first) with tweetnacl, in
 * JavaScript: about 1.5 ms of relay CPU per handshake, a tenth of what a whole EchoTest call costs
 * the relay. Node has X25519 natively (OpenSSL), so the two tweetnacl functions werift calls,
 * `box.keyPair` and `scalarMult`, are replaced on the very module instance werift imports (resolved
 * from werift's own directory). Same inputs, same bytes: RFC 7748's vectors are checked in
 * test/unit/relay/nativeX25519.test.ts, and a handshake through werift in the same test.
 */

interface Nacl {
  scalarMult: (n: Uint8Array, p: Uint8Array) => Uint8Array;
  box: { keyPair: () => { publicKey: Uint8Array; secretKey: Uint8Array } };
}

// DER prefix of an X25519 private key in PKCS#8 form (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * The key objects of the pairs made here, by the 32-byte ArrayBuffer of their raw secret (werift
 * wraps it in a new Buffer, same memory, before handing it back for the shared secret): importing a
 * private key costs OpenSSL 3's DER decoder ~0.37 ms a handshake.
 */
const generated = new WeakMap<ArrayBufferLike, KeyObject>();

function privateKeyOf(raw: Uint8Array): KeyObject {
  const own = raw.byteOffset === 0 && raw.buffer.byteLength === raw.byteLength;
  return (
    (own ? generated.get(raw.buffer) : undefined) ??
    createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' })
  );
}

// A public key as JWK: ~0.01 ms against ~0.09 ms through the DER (SPKI) decoder.
function publicKeyOf(raw: Uint8Array): KeyObject {
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
}

/** X25519(secret, public) as RFC 7748 defines it (the secret is clamped by OpenSSL as by tweetnacl). */
export function x25519(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (secret.length !== 32 || publicKey.length !== 32) throw new Error('bad X25519 key size');
  return new Uint8Array(diffieHellman({ privateKey: privateKeyOf(secret), publicKey: publicKeyOf(publicKey) }));
}

/** A fresh X25519 key pair as raw 32-byte keys (tweetnacl's `box.keyPair` shape). */
export function x25519KeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { privateKey } = generateKeyPairSync('x25519');
  // JWK export is a base64url of the raw keys: ~0.002 ms against ~0.035 ms per DER export.
  const jwk = privateKey.export({ format: 'jwk' });
  const secretKey = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
  generated.set(secretKey.buffer, privateKey); // a copy: its own 32-byte ArrayBuffer
  return { publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')), secretKey };
}

/** The tweetnacl instance werift uses. */
export function weriftNacl(): Nacl {
  const fromWerift = createRequire(createRequire(import.meta.url).resolve('werift'));
  return fromWerift('tweetnacl') as Nacl;
}

let installed = false;

/** Makes werift's DTLS use native X25519 (idempotent). */
export function installNativeX25519(): void {
  if (installed) return;
  installed = true;
  const nacl = weriftNacl();
  // Keep the original's own properties (`base`, lengths) for anyone else using tweetnacl here.
  nacl.scalarMult = Object.assign((n: Uint8Array, p: Uint8Array) => x25519(n, p), nacl.scalarMult);
  nacl.box.keyPair = x25519KeyPair;
}
