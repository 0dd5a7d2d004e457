import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPeerConnection } from '../../relay/peer/factory.js';
import { installNativeX25519, weriftNacl, x25519, x25519KeyPair } from '../../relay/peer/nativeX25519.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// Before anything installs the native functions: tweetnacl's own, the reference here.
const nacl = weriftNacl();
const tweetScalarMult = nacl.scalarMult;
const tweetKeyPair = nacl.box.keyPair;

describe('native X25519 for werift DTLS', () => {
  it('matches RFC 7748 section 6.1', () => {
    const alicePriv = bytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const alicePub = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
    const bobPriv = bytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const bobPub = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    const base = new Uint8Array(32);
    base[0] = 9;
    expect(hex(x25519(alicePriv, base))).toBe(alicePub);
    expect(hex(x25519(bobPriv, base))).toBe(bobPub);
    expect(hex(x25519(alicePriv, bytes(bobPub)))).toBe(shared);
    expect(hex(x25519(bobPriv, bytes(alicePub)))).toBe(shared);
  });

  it('gives tweetnacl’s bytes for random keys, and key pairs tweetnacl agrees with', () => {
    for (let i = 0; i < 20; i++) {
      const a = new Uint8Array(randomBytes(32));
      const b = tweetKeyPair();
      expect(hex(x25519(a, b.publicKey))).toBe(hex(tweetScalarMult(a, b.publicKey)));
      const mine = x25519KeyPair();
      expect(hex(tweetScalarMult(b.secretKey, mine.publicKey))).toBe(hex(x25519(mine.secretKey, b.publicKey)));
    }
    expect(() => x25519(new Uint8Array(31), new Uint8Array(32))).toThrow();
  });

  it('uses a pair’s own key for its secret as werift hands it back (a new Buffer over the same memory)', () => {
    for (let i = 0; i < 5; i++) {
      const mine = x25519KeyPair();
      const other = tweetKeyPair();
      const wrapped = Buffer.from(mine.secretKey.buffer); // werift's generateKeyPair does this
      const copied = new Uint8Array(mine.secretKey); // another ArrayBuffer: imported, not looked up
      const expected = hex(tweetScalarMult(mine.secretKey, other.publicKey));
      expect(hex(x25519(wrapped, other.publicKey))).toBe(expected);
      expect(hex(x25519(copied, other.publicKey))).toBe(expected);
      expect(hex(tweetScalarMult(other.secretKey, mine.publicKey))).toBe(expected);
    }
  });

  it('is what werift’s DTLS handshake uses once a relay PeerConnection exists', async () => {
    const calls = { mult: 0 };
    const a = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
    installNativeX25519(); // idempotent; the factory already did it
    expect(nacl.scalarMult).not.toBe(tweetScalarMult);
    expect(nacl.box.keyPair).toBe(x25519KeyPair);
    expect(typeof (nacl.scalarMult as unknown as { base?: unknown }).base).toBe('function');
    const native = nacl.scalarMult;
    nacl.scalarMult = Object.assign((n: Uint8Array, p: Uint8Array) => {
      calls.mult++;
      return native(n, p);
    }, native);
    const b = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
    try {
      const channel = a.createDataChannel('x');
      const opened = new Promise<void>((resolve) => channel.stateChanged.subscribe((s) => s === 'open' && resolve()));
      await a.setLocalDescription(await a.createOffer());
      await new Promise((r) => setTimeout(r, 200)); // candidates gathered into the SDP
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription(await b.createAnswer());
      await new Promise((r) => setTimeout(r, 200));
      await a.setRemoteDescription(b.localDescription!);
      await opened;
      expect(calls.mult).toBe(2); // one shared secret on each side
    } finally {
      nacl.scalarMult = native;
      await a.close();
      await b.close();
    }
  }, 20_000);
});
