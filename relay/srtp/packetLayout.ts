/** Byte-level checks of inbound SRTP packets, shared by both unprotect implementations. */

/**
 * The length of the RTP header at the start of `packet` (fixed part, CSRCs, header extension), or -1
 * when it does not fit before `end` (where the tag starts) or is not RTP version 2.
 */
export function rtpHeaderLength(packet: Buffer, end: number): number {
  if (end < 12 || packet[0]! >> 6 !== 2) return -1;
  let length = 12 + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) {
    if (length + 4 > end) return -1;
    length += 4 + 4 * packet.readUInt16BE(length + 2);
  }
  return length <= end ? length : -1;
}

/** Whether a clear packet with the P bit set ends in a padding count that fits its payload (RFC 3550 §5.1). */
export function paddingFits(clear: Buffer, headerLength: number): boolean {
  const count = clear[clear.length - 1] ?? 0;
  return count > 0 && count <= clear.length - headerLength;
}

/** Whether `a[aOffset ..]` and `b[bOffset ..]` agree on `length` bytes, in time independent of where they differ. */
export function tagsEqual(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, length: number): boolean {
  let diff = 0;
  for (let i = 0; i < length; i++) diff |= a[aOffset + i]! ^ b[bOffset + i]!;
  return diff === 0;
}

/**
 * Writes the 16-byte AES-CM counter (RFC 3711 §4.1.1: salt XOR 0^32 || a || b || c || 0^16) or the
 * 12-byte GCM IV (RFC 7714 §8.1, §9.1: salt XOR 0^16 || a || b || c) at `at[0..]`. SRTP: a = SSRC,
 * b = ROC, c = SEQ; SRTCP: a = SSRC, b = index >>> 16, c = index & 0xffff.
 */
export function writeIv(at: Buffer, gcm: boolean, salt: Uint8Array, a: number, b: number, c: number): void {
  if (gcm) {
    at.writeUInt16BE(0, 0);
    at.writeUInt32BE(a >>> 0, 2);
    at.writeUInt32BE(b >>> 0, 6);
    at.writeUInt16BE(c & 0xffff, 10);
    for (let i = 0; i < 12; i++) at[i]! ^= salt[i]!;
  } else {
    at.writeUInt32BE(0, 0);
    at.writeUInt32BE(a >>> 0, 4);
    at.writeUInt32BE(b >>> 0, 8);
    at.writeUInt32BE(((c & 0xffff) << 16) >>> 0, 12);
    for (let i = 0; i < 14; i++) at[i]! ^= salt[i]!;
  }
}
