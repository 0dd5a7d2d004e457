import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  SrtcpSession,
  SrtpSession,
} from 'werift';
import { AesKeystream } from '../../../relay/srtp/keystream.js';
import { deriveSessionKeys } from '../../../relay/srtp/kdf.js';
import {
  SRTP_AEAD_AES_128_GCM,
  SRTP_AES128_CM_HMAC_SHA1_32,
  SRTP_AES128_CM_HMAC_SHA1_80,
  type SrtpProfile,
} from '../../../relay/srtp/profile.js';
import { libcrypto, libcryptoSource } from '../../../relay/srtp/libcrypto.js';
import { mediaPathInfo } from '../../../relay/sfu/mediaPath.js';
import {
  createProtector,
  protectorFromSessionKeys,
  srtpImplementation,
  type SrtpImplementation,
} from '../../../relay/srtp/protector.js';
import { RolloverCounter } from '../../../relay/srtp/rollover.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 test vectors', () => {
  it('B.2: AES-CM keystream from counter F0F1…FD0000', () => {
    const ks = new AesKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C')).blocks(
      hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'),
      0,
      3,
    );
    expect(ks.toString('hex').toUpperCase()).toBe(
      'E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0',
    );
  });

  it('B.3: key derivation (cipher key, salt, auth key)', () => {
    const k = deriveSessionKeys(hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6'));
    expect(k.rtp.key.toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(k.rtp.salt.toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(k.rtp.auth.subarray(0, 16).toString('hex').toUpperCase()).toBe('CEBE321F6FF7716B6FD4AB49AF256A15');
  });
});

/** werift's sender for the same master key and salt (its SrtpSession / SrtcpSession, local side). */
function weriftPair(profile: number, key: Buffer, salt: Buffer) {
  const config = {
    keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt },
    profile,
  };
  return { srtp: new SrtpSession(config), srtcp: new SrtcpSession(config) };
}

function rtpHeader(ssrc: number, seq: number, ts: number, marker: boolean): RtpHeader {
  return new RtpHeader({
    ssrc,
    sequenceNumber: seq,
    timestamp: ts,
    payloadType: 96,
    marker,
    extension: true,
    extensions: [{ id: 4, payload: Buffer.from('1') }],
  });
}

const cases: Array<[string, SrtpProfile, number, number]> = [
  ['AES_CM_128_HMAC_SHA1_80', SRTP_AES128_CM_HMAC_SHA1_80, ProtectionProfileAes128CmHmacSha1_80, 14],
  ['AEAD_AES_128_GCM', SRTP_AEAD_AES_128_GCM, ProtectionProfileAeadAes128Gcm, 12],
];

// Both implementations give the same bytes; libcrypto is expected wherever this suite runs (Linux, OpenSSL 3).
const implementations: SrtpImplementation[] = ['node', 'libcrypto'];

it('libcrypto loads through koffi and is the implementation the relay picks', () => {
  expect(libcrypto()).toBeDefined();
  expect(srtpImplementation()).toBe('libcrypto');
});

it('binds the OpenSSL Node itself runs, not a second copy from disk whose internals would mix with it', () => {
  expect(libcrypto()).toBeDefined();
  expect(libcryptoSource()).toBe('process');
  expect(mediaPathInfo()).toMatchObject({ srtp: 'libcrypto', srtpLibrary: 'process' });
});

describe.each(implementations)('%s', (impl) => {
  describe(`${impl}: RFC 7714 §16-17 test vectors (AEAD_AES_128_GCM, given as session keys)`, () => {
    const session = {
      key: hex('000102030405060708090a0b0c0d0e0f'),
      salt: hex('517569642070726f2071756f'),
      auth: Buffer.alloc(20),
    };
    const p = protectorFromSessionKeys(SRTP_AEAD_AES_128_GCM, { rtp: session, rtcp: session }, impl);

    it('§16.1.1: SRTP, SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0', () => {
      const rtp = hex(
        '8040f17b8041f8d35501a0b2' + '47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573',
      );
      expect(p.protectRtp(rtp, 12, rtp.subarray(12), 0x5501a0b2, 0xf17b, 0).toString('hex')).toBe(
        '8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce',
      );
    });

    it('§17.1: SRTCP, SRTCP index 0x5d4', () => {
      const rtcp = hex(
        '81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef',
      );
      expect(p.protectRtcp(rtcp, 0x5d4).toString('hex')).toBe(
        '81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4',
      );
    });
  });

  describe.each(cases)(`${impl}: %s: same bytes as werift`, (_name, profile, weriftProfile, saltLength) => {
    const key = randomBytes(16);
    const salt = randomBytes(saltLength);

    it('SRTP: 3,000 packets of sizes 0..1,200 bytes across a sequence rollover, and werift decrypts them', () => {
      const ours = createProtector(profile, key, salt, impl);
      const theirs = weriftPair(weriftProfile, key, salt);
      const receiver = weriftPair(weriftProfile, key, salt);
      const roc = new RolloverCounter();
      const ssrc = 0x12345678;
      const payload = randomBytes(1300);
      let seq = 0xffff - 1000;
      for (let i = 0; i < 3000; i++, seq = (seq + 1) & 0xffff) {
        const h = rtpHeader(ssrc, seq, i * 3000, i % 7 === 0);
        const hb = h.serialize(h.serializeSize);
        const p = payload.subarray(0, (i * 7) % 1201);
        const mine = ours.protectRtp(hb, hb.length, p, ssrc, seq, roc.next(seq));
        const ref = theirs.srtp.encrypt(p, h);
        if (!mine.equals(ref))
          expect({ i, seq, mine: mine.toString('hex') }).toEqual({ i, seq, mine: ref.toString('hex') });
        // werift's receiver estimates the ROC from each packet in turn: it sees them all
        const clear = receiver.srtp.decrypt(mine);
        if (i % 97 === 0) expect(clear).toEqual(Buffer.concat([hb, p]));
      }
      expect(roc.roc).toBe(1);
    });

    it('SRTCP: same bytes for a run of indices, and werift decrypts them', () => {
      const ours = createProtector(profile, key, salt, impl);
      const theirs = weriftPair(weriftProfile, key, salt);
      const receiver = weriftPair(weriftProfile, key, salt);
      for (let i = 1; i <= 300; i++) {
        const rtcp = Buffer.concat([Buffer.from([0x81, 200, 0, 0]), randomBytes(4 + (i % 60) * 4)]);
        rtcp.writeUInt16BE(rtcp.length / 4 - 1, 2);
        rtcp.writeUInt32BE(0xcafe0000 + (i % 3), 4);
        // werift counts indices per SSRC from 1
        const ref = theirs.srtcp.encrypt(rtcp);
        const mine = ours.protectRtcp(rtcp, Math.ceil(i / 3));
        expect(mine.toString('hex')).toBe(ref.toString('hex'));
        expect(receiver.srtcp.decrypt(mine)).toEqual(rtcp);
      }
    });
  });

  it('protectRtpInto writes the packet protectRtp returns at the start of output; libcrypto reuses output', () => {
    const p = createProtector(SRTP_AES128_CM_HMAC_SHA1_80, randomBytes(16), randomBytes(14), impl);
    const hb = rtpHeader(9, 1, 2, false).serialize(20);
    const payload = randomBytes(1500);
    const copy = p.protectRtp(hb, hb.length, payload, 9, 1, 0);
    const n = p.protectRtpInto(hb, hb.length, payload, 9, 1, 0);
    expect(n).toBe(hb.length + 1500 + 10);
    expect(p.output.subarray(0, n)).toEqual(copy);
    expect(p.implementation).toBe(impl);
    expect(p.reusesOutput).toBe(impl === 'libcrypto');
  });

  describe(`${impl}: AES_CM_128_HMAC_SHA1_32`, () => {
    it('is the _80 packet with the HMAC tag truncated to 4 bytes; SRTCP keeps its 10-byte tag', () => {
      const key = randomBytes(16);
      const salt = randomBytes(14);
      const p32 = createProtector(SRTP_AES128_CM_HMAC_SHA1_32, key, salt, impl);
      const p80 = createProtector(SRTP_AES128_CM_HMAC_SHA1_80, key, salt, impl);
      const h = rtpHeader(7, 100, 1, false);
      const hb = h.serialize(h.serializeSize);
      const payload = randomBytes(333);
      const a = p32.protectRtp(hb, hb.length, payload, 7, 100, 5);
      const b = p80.protectRtp(hb, hb.length, payload, 7, 100, 5);
      expect(a.length).toBe(hb.length + 333 + 4);
      expect(a).toEqual(b.subarray(0, b.length - 6));
      const rtcp = Buffer.from('81c90007000000070000000000000000000000000000000000000000000000', 'hex').subarray(0, 32);
      expect(p32.protectRtcp(rtcp, 9)).toEqual(p80.protectRtcp(rtcp, 9));
    });

    it('tag = HMAC-SHA1(auth key, packet || ROC) and the payload is AES-CTR, computed independently', () => {
      const key = randomBytes(16);
      const salt = randomBytes(14);
      const k = deriveSessionKeys(key, salt).rtp;
      const p = createProtector(SRTP_AES128_CM_HMAC_SHA1_32, key, salt, impl);
      const hb = rtpHeader(0xdeadbeef, 4242, 9, true).serialize(20);
      const payload = randomBytes(100);
      const out = p.protectRtp(hb, hb.length, payload, 0xdeadbeef, 4242, 0x10002);
      const iv = Buffer.alloc(16);
      iv.writeUInt32BE(0xdeadbeef, 4);
      iv.writeUInt32BE(0x10002, 8);
      iv.writeUInt16BE(4242, 12);
      for (let i = 0; i < 14; i++) iv[i]! ^= k.salt[i]!;
      const enc = createCipheriv('aes-128-ctr', k.key, iv).update(payload);
      const roc = Buffer.from([0, 1, 0, 2]);
      const tag = createHmac('sha1', k.auth).update(hb).update(enc).update(roc).digest().subarray(0, 4);
      expect(out).toEqual(Buffer.concat([hb, enc, tag]));
    });
  });
});

describe('RolloverCounter (RFC 3711 §3.3.1, sender side)', () => {
  it('counts wraps, protects late packets from before a wrap with the previous ROC, never moves back', () => {
    const r = new RolloverCounter();
    expect(r.next(65530)).toBe(0);
    expect(r.next(65535)).toBe(0);
    expect(r.next(2)).toBe(1); // wrapped (packets 0 and 1 lost)
    expect(r.next(65534)).toBe(0); // a retransmission from before the wrap
    expect(r.next(3)).toBe(1);
    expect(r.next(1)).toBe(1); // a late packet after the wrap
    for (let s = 4; s < 65536; s += 1000) r.next(s);
    expect(r.next(10)).toBe(2);
    expect(r.roc).toBe(2);
  });

  it('a late packet before any wrap keeps ROC 0', () => {
    const r = new RolloverCounter();
    expect(r.next(5)).toBe(0);
    expect(r.next(65535)).toBe(0);
    expect(r.next(6)).toBe(0);
  });
});
