import { RTCCertificate, type RTCDtlsFingerprint } from 'werift';

/**
 * werift's `RTCCertificate.getFingerprints()` parses the certificate's PEM and hashes it on every
 * call (about 0.4 ms here), and it is called for every SDP the relay writes and every DTLS handshake,
 * although the relay's certificate never changes. The result is kept per certificate (and per PEM,
 * should a certificate object be given another one).
 */
const cache = new WeakMap<RTCCertificate, { pem: string; fingerprints: RTCDtlsFingerprint[] }>();
let installed = false;

export function installFingerprintCache(): void {
  if (installed) return;
  installed = true;
  const computeFingerprints = RTCCertificate.prototype.getFingerprints;
  RTCCertificate.prototype.getFingerprints = function cachedFingerprints(this: RTCCertificate) {
    const hit = cache.get(this);
    if (hit?.pem === this.certPem) return [...hit.fingerprints];
    const fingerprints = computeFingerprints.call(this);
    cache.set(this, { pem: this.certPem, fingerprints });
    return [...fingerprints];
  };
}
