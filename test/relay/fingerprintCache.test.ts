import { X509Certificate } from 'node:crypto';
import { RTCCertificate, RTCDtlsTransport } from 'werift';
import { describe, expect, it } from 'vitest';
import { createPeerConnection } from '../../relay/peer/factory.js';
import { installFingerprintCache } from '../../relay/peer/fingerprintCache.js';

describe("the relay's DTLS fingerprint, computed once per certificate", () => {
  it('is the SHA-256 of the certificate, in the SDP the relay writes, and not recomputed per call', async () => {
    const computeFingerprints = RTCCertificate.prototype.getFingerprints;
    let computed = 0;
    RTCCertificate.prototype.getFingerprints = function counted(this: RTCCertificate) {
      computed++;
      return computeFingerprints.call(this);
    };
    try {
      installFingerprintCache();
      const cert = await RTCDtlsTransport.SetupCertificate();
      const expected = new X509Certificate(cert.certPem).fingerprint256;
      for (let i = 0; i < 5; i++)
        expect(cert.getFingerprints().map((f) => [f.algorithm, f.value.toUpperCase()])).toEqual([
          ['sha-256', expected],
        ]);
      expect(computed).toBe(1);

      const pc = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      expect(pc.localDescription!.sdp.toUpperCase()).toContain(`A=FINGERPRINT:SHA-256 ${expected}`);
      await pc.close();
      expect(computed).toBe(1);

      // Another PEM on the same object (werift never does this; the cache must not hide it).
      const other = new RTCCertificate(cert.privateKey, cert.certPem, cert.signatureHash);
      other.getFingerprints();
      expect(computed).toBe(2);
    } finally {
      RTCCertificate.prototype.getFingerprints = computeFingerprints;
    }
  });
});
