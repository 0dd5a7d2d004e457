import { deriveSessionKeys, type DerivedKeys } from './kdf.js';
import { libcrypto } from './libcrypto.js';
import { LibcryptoUnprotectCipher } from './libcryptoUnprotect.js';
import { NodeUnprotectCipher } from './nodeUnprotect.js';
import { estimatePacketIndex, rocOf } from './packetIndex.js';
import { paddingFits, rtpHeaderLength } from './packetLayout.js';
import { SRTP_AEAD_AES_128_GCM, rtcpTagLength, rtpTagLength, type SrtpProfile } from './profile.js';
import { srtpImplementation, type SrtpImplementation } from './protector.js';
import { ReplayWindow } from './replayWindow.js';
import type { SrtpDrop, SrtpUnprotector, UnprotectCipher } from './unprotectorApi.js';

export type { SrtpDrop, SrtpUnprotector } from './unprotectorApi.js';

/**
 * The receiving side of one DTLS-SRTP association (RFC 3711 §3.3): per packet, the header is
 * checked, the packet index estimated from the SSRC's highest authenticated index (SRTP) or read
 * (SRTCP), refused when the SSRC's replay window has seen it or left it behind, then authenticated
 * and decrypted by the cipher of the chosen implementation; only an authenticated packet moves the
 * window. State exists only for SSRCs that sent an authentic packet, so forged traffic allocates
 * nothing.
 */
class Unprotector implements SrtpUnprotector {
  readonly implementation: SrtpImplementation;
  private readonly rtpTag: number;
  private readonly rtcpTag: number;
  private readonly gcm: boolean;
  private readonly rtpWindows = new Map<number, ReplayWindow>();
  private readonly rtcpWindows = new Map<number, ReplayWindow>();

  constructor(
    readonly profile: SrtpProfile,
    private readonly cipher: UnprotectCipher,
  ) {
    this.implementation = cipher.implementation;
    this.rtpTag = rtpTagLength(profile);
    this.rtcpTag = rtcpTagLength(profile);
    this.gcm = profile === SRTP_AEAD_AES_128_GCM;
  }

  unprotectRtp(packet: Buffer): Buffer | SrtpDrop {
    const end = packet.length - this.rtpTag;
    const headerLength = rtpHeaderLength(packet, end);
    if (headerLength < 0) return 'malformed';
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const window = this.rtpWindows.get(ssrc);
    const index = estimatePacketIndex(window ? window.highest : -1, seq);
    if (window && !window.fresh(index)) return 'replay';
    const clear = this.cipher.rtp(packet, headerLength, end, ssrc, seq, rocOf(index));
    if (!clear) return 'auth';
    accept(this.rtpWindows, window, ssrc, index);
    if (packet[0]! & 0x20 && !paddingFits(clear, headerLength)) return 'malformed';
    return clear;
  }

  unprotectRtcp(packet: Buffer): Buffer | SrtpDrop {
    const len = packet.length;
    if (len < 8 + 4 + this.rtcpTag) return 'malformed';
    // AES-CM: packet || E,index || tag; GCM: packet || tag || E,index
    const end = len - 4 - this.rtcpTag;
    const eIndex = packet.readUInt32BE(this.gcm ? len - 4 : end);
    const index = eIndex & 0x7fffffff;
    const ssrc = packet.readUInt32BE(4);
    const window = this.rtcpWindows.get(ssrc);
    if (window && !window.fresh(index)) return 'replay';
    const clear = this.cipher.rtcp(packet, end, ssrc, eIndex);
    if (!clear) return 'auth';
    accept(this.rtcpWindows, window, ssrc, index);
    return clear;
  }
}

function accept(windows: Map<number, ReplayWindow>, window: ReplayWindow | undefined, ssrc: number, index: number) {
  if (!window) windows.set(ssrc, (window = new ReplayWindow()));
  window.accept(index);
}

/** An unprotector from session keys (RFC 7714's vectors are given that way), of the given implementation or the preferred one. */
export function unprotectorFromSessionKeys(
  profile: SrtpProfile,
  keys: DerivedKeys,
  implementation: SrtpImplementation = srtpImplementation(),
): SrtpUnprotector {
  const lc = implementation === 'libcrypto' ? libcrypto() : undefined;
  if (implementation === 'libcrypto' && !lc) throw new Error('libcrypto is not available');
  const cipher = lc ? new LibcryptoUnprotectCipher(lc, profile, keys) : new NodeUnprotectCipher(profile, keys);
  return new Unprotector(profile, cipher);
}

/** An unprotector from the master key and salt the peer's side of DTLS-SRTP exported (RFC 3711 key derivation). */
export function createUnprotector(
  profile: SrtpProfile,
  masterKey: Buffer,
  masterSalt: Buffer,
  implementation?: SrtpImplementation,
): SrtpUnprotector {
  return unprotectorFromSessionKeys(profile, deriveSessionKeys(masterKey, masterSalt), implementation);
}
