import { DtlsSocket } from 'werift';

/**
 * Every werift DTLS socket serializes its hello extensions (use_srtp, the curves, the signature
 * algorithms, …) through a generic binary encoder when it is made: about 0.6 ms a PeerConnection,
 * for bytes that depend only on the socket's SRTP profiles and extended-master-secret option. They
 * are serialized once per such pair, and each socket gets its own copy of the same list.
 */

interface Extension {
  type: number;
  data: Buffer;
}

interface DtlsSocketInternals {
  options: { srtpProfiles?: number[]; extendedMasterSecret?: boolean };
  extensions: Extension[];
  dtls: unknown;
  setupExtensions(): void;
}

let installed = false;

export function installDtlsExtensionsCache(): void {
  if (installed) return;
  installed = true;
  const proto = DtlsSocket.prototype as unknown as DtlsSocketInternals;
  const setupExtensions = proto.setupExtensions;
  const made = new Map<string, Extension[]>();
  proto.setupExtensions = function cachedSetupExtensions(this: DtlsSocketInternals) {
    const { srtpProfiles, extendedMasterSecret } = this.options;
    const key = `${srtpProfiles?.join(',') ?? ''}|${extendedMasterSecret === true}`;
    let list = made.get(key);
    if (!list) {
      const scratch = { options: this.options, extensions: [] as Extension[], dtls: this.dtls };
      setupExtensions.call(scratch);
      list = scratch.extensions;
      made.set(key, list);
    }
    for (const e of list) this.extensions.push({ type: e.type, data: Buffer.from(e.data) });
  };
}
