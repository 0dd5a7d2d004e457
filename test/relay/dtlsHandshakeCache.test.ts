import { X509Certificate, createHash, verify } from 'node:crypto';
import { CipherContext, DtlsSocket, RTCDtlsTransport } from 'werift';
import { describe, expect, it } from 'vitest';
import { createPeerConnection } from '../../relay/peer/factory.js';
import { installDtlsExtensionsCache } from '../../relay/peer/dtlsExtensionsCache.js';
import { installDtlsKeyCache } from '../../relay/peer/dtlsKeyCache.js';

interface CipherInternals {
  localCert: Buffer;
  localPrivateKey: { sign(data: Buffer, hash: string): Buffer };
  parseX509(certPem: string, keyPem: string, signatureHash: unknown): void;
  signatureData(data: Buffer, hash: string): Buffer;
}

interface SocketInternals {
  extensions: Array<{ type: number; data: Buffer }>;
  setupExtensions(): void;
}

/** Runs `fn` with werift's own prototype method counted (installed before the caches wrap it). */
function counting<T extends object>(
  proto: T,
  name: keyof T & string,
): { calls: number; original: (...a: unknown[]) => unknown; restore: () => void } {
  const original = proto[name] as unknown as (...a: unknown[]) => unknown;
  const counter = { calls: 0, original, restore: () => void (proto[name] = original as T[typeof name]) };
  proto[name] = function counted(this: unknown, ...a: unknown[]) {
    counter.calls++;
    return original.apply(this, a);
  } as T[typeof name];
  return counter;
}

async function connectPair(): Promise<void> {
  const a = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
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
  } finally {
    await a.close();
    await b.close();
  }
}

describe("werift's DTLS work that is the same for every handshake, done once per relay", () => {
  // Counted below the caches: installed first, so the caches wrap the counters.
  const parse = counting(CipherContext.prototype as unknown as CipherInternals, 'parseX509');
  const extensions = counting(DtlsSocket.prototype as unknown as SocketInternals, 'setupExtensions');

  it('parses the certificate and key once, and signs what the certificate verifies', async () => {
    installDtlsKeyCache();
    const cert = await RTCDtlsTransport.SetupCertificate();
    const contexts = Array.from({ length: 3 }, () => {
      const c = new CipherContext(1, cert.certPem, cert.privateKey, cert.signatureHash);
      return c as unknown as CipherInternals;
    });
    expect(parse.calls).toBe(1);
    const x509 = new X509Certificate(cert.certPem);
    for (const c of contexts) {
      expect(Buffer.compare(c.localCert, x509.raw)).toBe(0);
      const data = createHash('sha256').update(String(Math.random())).digest();
      expect(verify('sha256', data, x509.publicKey, c.localPrivateKey.sign(data, 'sha256'))).toBe(true);
      expect(verify('sha256', data, x509.publicKey, c.signatureData(data, 'sha256'))).toBe(true);
    }
  });

  it('serializes the hello extensions once and gives every socket the same bytes', async () => {
    installDtlsExtensionsCache();
    const proto = DtlsSocket.prototype as unknown as SocketInternals;
    const options = { srtpProfiles: [1, 7], extendedMasterSecret: true };
    const socket = () => {
      const s = Object.assign(Object.create(proto) as SocketInternals, { options, dtls: {} });
      s.extensions = [];
      s.setupExtensions();
      return s.extensions;
    };
    const first = socket();
    const second = socket();
    expect(extensions.calls).toBe(1);
    expect(second).toEqual(first);
    expect(second[0]!.data).not.toBe(first[0]!.data); // copies: no socket shares another's buffers
    expect(first.map((e) => e.type)).toEqual([14, 10, 13, 23, 65281]); // use_srtp, curves, sig algs, EMS, reneg
    // The original's bytes, from a socket of its own options shape.
    const plain = Object.assign(Object.create(proto) as SocketInternals, { options, extensions: [], dtls: {} });
    extensions.original.call(plain);
    expect(first).toEqual(plain.extensions);
  });

  it('still completes real handshakes both ways', async () => {
    await connectPair();
    await connectPair();
    expect(parse.calls).toBe(1);
    expect(extensions.calls).toBe(2); // the options above, then werift's own: once for 4 sockets
  }, 20_000);
});
