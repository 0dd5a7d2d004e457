import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { CipherContext } from 'werift';

/**
 * werift's DTLS parses the relay's certificate and private key from PEM (in JavaScript ASN.1) for
 * every DTLS socket, and signs each ServerKeyExchange (and a client's CertificateVerify) by handing
 * the key's PEM to OpenSSL, which decodes it again: about 0.4 ms of decoding per signature for
 * 0.03 ms of ECDSA. The relay has one certificate (werift makes one per process), so the parsed
 * certificate and an OpenSSL key object are kept for it and every handshake signs with them. The
 * signatures are the same algorithm and encoding (DER ECDSA, or PKCS#1 v1.5 for RSA).
 */

interface FidmPrivateKey {
  sign(data: Buffer, hashAlgorithm: string): Buffer;
  toPEM(): string;
}

/** What `parseX509` leaves on a cipher context. */
interface ParsedKeys {
  localCert: Buffer;
  localPrivateKey: FidmPrivateKey;
}

interface CipherContextInternals extends ParsedKeys {
  signatureHashAlgorithm: unknown;
  parseX509(certPem: string, keyPem: string, signatureHash: unknown): void;
  signatureData(data: Buffer, hash: string): Buffer;
}

/** The parsed keys of the last certificate seen (the relay uses one). */
let last: { certPem: string; keyPem: string; keys: ParsedKeys } | undefined;
const keyObjects = new WeakMap<FidmPrivateKey, KeyObject>();
let installed = false;

/** The private key as werift parsed it, signing through a key object made once. */
function signingKey(parsed: FidmPrivateKey, keyPem: string): FidmPrivateKey {
  const keyObject = createPrivateKey(keyPem);
  const key = Object.create(parsed) as FidmPrivateKey;
  key.sign = (data, hashAlgorithm) => sign(hashAlgorithm, data, keyObject);
  keyObjects.set(key, keyObject);
  return key;
}

export function installDtlsKeyCache(): void {
  if (installed) return;
  installed = true;
  const proto = CipherContext.prototype as unknown as CipherContextInternals;
  const parseX509 = proto.parseX509;
  proto.parseX509 = function cachedParseX509(this: CipherContextInternals, certPem, keyPem, signatureHash) {
    if (last?.certPem !== certPem || last.keyPem !== keyPem) {
      const scratch = {} as CipherContextInternals;
      parseX509.call(scratch, certPem, keyPem, signatureHash);
      last = {
        certPem,
        keyPem,
        keys: { localCert: scratch.localCert, localPrivateKey: signingKey(scratch.localPrivateKey, keyPem) },
      };
    }
    this.localCert = last.keys.localCert;
    this.localPrivateKey = last.keys.localPrivateKey;
    this.signatureHashAlgorithm = signatureHash;
  };
  const signatureData = proto.signatureData;
  proto.signatureData = function cachedSignatureData(this: CipherContextInternals, data, hash) {
    const keyObject = keyObjects.get(this.localPrivateKey);
    return keyObject ? sign(hash, data, keyObject) : signatureData.call(this, data, hash);
  };
}
