import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  SrtcpSession,
  SrtpSession,
} from 'werift';
import { deriveSessionKeys } from '../../../relay/srtp/kdf.js';
import { estimatePacketIndex } from '../../../relay/srtp/packetIndex.js';
import {
  SRTP_AEAD_AES_128_GCM,
  SRTP_AES128_CM_HMAC_SHA1_32,
  SRTP_AES128_CM_HMAC_SHA1_80,
  type SrtpProfile,
} from '../../../relay/srtp/profile.js';
import { createProtector, type SrtpImplementation, type SrtpProtector } from '../../../relay/srtp/protector.js';
import { REPLAY_WINDOW, ReplayWindow } from '../../../relay/srtp/replayWindow.js';
import { RolloverCounter } from '../../../relay/srtp/rollover.js';
import { createUnprotector, unprotectorFromSessionKeys } from '../../../relay/srtp/unprotector.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const implementations: SrtpImplementation[] = ['node', 'libcrypto'];

// libsrtp's srtp_validate (test/srtp_driver.c): default policy, SSRC 0xcafebabe, SEQ 0x1234, ROC 0, SRTCP index 1
const LIBSRTP_KEY = hex('e1f97a0d3e018be0d64fa32c06de4139');
const LIBSRTP_SALT = hex('0ec675ad498afeebb6960b3aabe6');
const LIBSRTP_RTP = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
const LIBSRTP_SRTP_80 = hex('800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb');
const LIBSRTP_RTCP = hex('81c8000bcafebabe' + 'ab'.repeat(16));
const LIBSRTP_SRTCP = hex('81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798');

function rtpPacket(ssrc: number, seq: number, payload: Buffer, extension = true): Buffer {
  const h = new RtpHeader({
    ssrc,
    sequenceNumber: seq,
    timestamp: seq * 960,
    payloadType: 111,
    marker: seq % 5 === 0,
    extension,
    extensions: extension ? [{ id: 1, payload: Buffer.from([0x30]) }] : [],
  });
  return Buffer.concat([h.serialize(h.serializeSize), payload]);
}

function protect(p: SrtpProtector, clear: Buffer, roc: number): Buffer {
  const hl = rtpHeaderLengthOf(clear);
  return p.protectRtp(clear, hl, clear.subarray(hl), clear.readUInt32BE(8), clear.readUInt16BE(2), roc);
}

function rtpHeaderLengthOf(clear: Buffer): number {
  let n = 12 + 4 * (clear[0]! & 0x0f);
  if (clear[0]! & 0x10) n += 4 + 4 * clear.readUInt16BE(n + 2);
  return n;
}

function rtcpPacket(ssrc: number, words: number): Buffer {
  const b = Buffer.concat([Buffer.from([0x81, 201, 0, 0]), Buffer.alloc(4), randomBytes(words * 4)]);
  b.writeUInt16BE(b.length / 4 - 1, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

function weriftSessions(profile: number, key: Buffer, salt: Buffer) {
  const config = {
    keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt },
    profile,
  };
  return { srtp: new SrtpSession(config), srtcp: new SrtcpSession(config) };
}

describe('receiver packet index (RFC 3711 §3.3.1)', () => {
  it('guesses the ROC across a wrap, for late and early packets, and keeps ROC 0 before the first wrap', () => {
    expect(estimatePacketIndex(-1, 65000)).toBe(65000);
    expect(estimatePacketIndex(65530, 3)).toBe(0x10000 + 3); // wrapped
    expect(estimatePacketIndex(0x10000 + 3, 65530)).toBe(65530); // late, from before the wrap
    expect(estimatePacketIndex(0x30000 + 40000, 10000)).toBe(0x30000 + 10000); // same ROC, behind
    expect(estimatePacketIndex(0x30000 + 40000, 7000)).toBe(0x40000 + 7000); // more than half behind: next ROC
    expect(estimatePacketIndex(5, 65533)).toBe(65533); // no ROC -1
  });
});

describe('ReplayWindow (RFC 3711 §3.3.2)', () => {
  it(`remembers ${REPLAY_WINDOW} indices below the highest, refuses older ones`, () => {
    const w = new ReplayWindow();
    expect(w.fresh(1000)).toBe(true);
    w.accept(1000);
    expect(w.fresh(1000)).toBe(false);
    w.accept(1002);
    expect(w.fresh(1001)).toBe(true); // late, inside the window
    w.accept(1001);
    expect(w.fresh(1001)).toBe(false);
    w.accept(1000 + REPLAY_WINDOW + 1);
    expect(w.fresh(1001)).toBe(false); // now outside: too old
    expect(w.fresh(1100)).toBe(true); // skipped, inside
    expect(w.fresh(1000 + REPLAY_WINDOW + 1)).toBe(false);
    w.accept(10_000_000);
    expect(w.fresh(10_000_000 - 1)).toBe(true); // the jump cleared every bit
    expect(w.fresh(10_000_000 - REPLAY_WINDOW)).toBe(false);
  });
});

describe.each(implementations)('%s unprotector', (impl) => {
  describe('known answers', () => {
    it("libsrtp's srtp_validate: AES_CM_128_HMAC_SHA1_80 SRTP and SRTCP", () => {
      const u = createUnprotector(SRTP_AES128_CM_HMAC_SHA1_80, LIBSRTP_KEY, LIBSRTP_SALT, impl);
      expect(u.implementation).toBe(impl);
      expect(u.unprotectRtp(LIBSRTP_SRTP_80)).toEqual(LIBSRTP_RTP);
      expect(u.unprotectRtcp(LIBSRTP_SRTCP)).toEqual(LIBSRTP_RTCP);
    });

    it('AES_CM_128_HMAC_SHA1_32: the same packet with its tag cut to 4 bytes', () => {
      const u = createUnprotector(SRTP_AES128_CM_HMAC_SHA1_32, LIBSRTP_KEY, LIBSRTP_SALT, impl);
      expect(u.unprotectRtp(LIBSRTP_SRTP_80.subarray(0, 32))).toEqual(LIBSRTP_RTP);
      expect(u.unprotectRtcp(LIBSRTP_SRTCP)).toEqual(LIBSRTP_RTCP); // SRTCP keeps its 10-byte tag
    });

    it('RFC 7714 §16.1.1 and §17.1: AEAD_AES_128_GCM SRTP and SRTCP', () => {
      const session = {
        key: hex('000102030405060708090a0b0c0d0e0f'),
        salt: hex('517569642070726f2071756f'),
        auth: Buffer.alloc(20),
      };
      const u = unprotectorFromSessionKeys(SRTP_AEAD_AES_128_GCM, { rtp: session, rtcp: session }, impl);
      const srtp = hex(
        '8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce',
      );
      expect(u.unprotectRtp(srtp)).toEqual(
        hex(
          '8040f17b8041f8d35501a0b2' + '47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573',
        ),
      );
      const srtcp = hex(
        '81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4',
      );
      expect(u.unprotectRtcp(srtcp)).toEqual(
        hex('81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef'),
      );
    });

    it('SRTCP with E = 0 (authenticated, not encrypted), tag computed independently', () => {
      const keys = deriveSessionKeys(LIBSRTP_KEY, LIBSRTP_SALT).rtcp;
      const authenticated = Buffer.concat([LIBSRTP_RTCP, hex('00000007')]);
      const tag = createHmac('sha1', keys.auth).update(authenticated).digest().subarray(0, 10);
      const u = createUnprotector(SRTP_AES128_CM_HMAC_SHA1_80, LIBSRTP_KEY, LIBSRTP_SALT, impl);
      expect(u.unprotectRtcp(Buffer.concat([authenticated, tag]))).toEqual(LIBSRTP_RTCP);
    });
    it('GCM SRTCP with E = 0: the whole packet is AAD (RFC 7714 §9.3), tag computed independently', () => {
      const session = { key: randomBytes(16), salt: randomBytes(12), auth: Buffer.alloc(20) };
      const u = unprotectorFromSessionKeys(SRTP_AEAD_AES_128_GCM, { rtp: session, rtcp: session }, impl);
      const rtcp = rtcpPacket(0x5501a0b2, 5);
      const index = 0x1234;
      const iv = Buffer.alloc(12);
      iv.writeUInt32BE(0x5501a0b2, 2);
      iv.writeUInt32BE(index, 8);
      for (let i = 0; i < 12; i++) iv[i]! ^= session.salt[i]!;
      const trailer = Buffer.alloc(4);
      trailer.writeUInt32BE(index, 0); // E = 0
      const gcm = createCipheriv('aes-128-gcm', session.key, iv).setAAD(Buffer.concat([rtcp, trailer]));
      gcm.final();
      const packet = Buffer.concat([rtcp, gcm.getAuthTag(), trailer]);
      expect(u.unprotectRtcp(packet)).toEqual(rtcp);
      expect(u.unprotectRtcp(packet)).toBe('replay');
      const forged = Buffer.from(packet);
      forged.writeUInt32BE(index + 1, forged.length - 4);
      expect(u.unprotectRtcp(forged)).toBe('auth');
    });
  });

  const profiles: Array<[string, SrtpProfile, number]> = [
    ['AES_CM_128_HMAC_SHA1_80', SRTP_AES128_CM_HMAC_SHA1_80, 14],
    ['AES_CM_128_HMAC_SHA1_32', SRTP_AES128_CM_HMAC_SHA1_32, 14],
    ['AEAD_AES_128_GCM', SRTP_AEAD_AES_128_GCM, 12],
  ];

  describe.each(profiles)('%s', (_name, profile, saltLength) => {
    const key = randomBytes(16);
    const salt = randomBytes(saltLength);

    it('unprotect(protect(x)) == x for 3,000 packets of 0..1,200 bytes across a sequence rollover', () => {
      const p = createProtector(profile, key, salt, impl);
      const u = createUnprotector(profile, key, salt, impl);
      const roc = new RolloverCounter();
      const body = randomBytes(1200);
      let seq = 0xffff - 1500;
      for (let i = 0; i < 3000; i++, seq = (seq + 1) & 0xffff) {
        const clear = rtpPacket(0x1234, seq, body.subarray(0, (i * 13) % 1201), i % 2 === 0);
        const out = u.unprotectRtp(protect(p, clear, roc.next(seq)));
        if (!Buffer.isBuffer(out) || !out.equals(clear)) expect({ i, seq, out }).toEqual({ i, seq, out: clear });
      }
      expect(roc.roc).toBe(1);
      for (let i = 1; i <= 300; i++) {
        const clear = rtcpPacket(0x1234, i % 40);
        expect(u.unprotectRtcp(p.protectRtcp(clear, i))).toEqual(clear);
      }
    });

    it('across a wrap with the packets around it lost or reordered', () => {
      const p = createProtector(profile, key, salt, impl);
      const u = createUnprotector(profile, key, salt, impl);
      const roc = new RolloverCounter();
      const order = [65520, 65521, 3, 65535, 4, 1, 65534, 30000, 60000, 2];
      const rocs = order.map((s) => roc.next(s));
      expect(rocs).toEqual([0, 0, 1, 0, 1, 1, 0, 1, 1, 2]);
      // 30000 then 60000 within ROC 1, then 2: the next wrap, ROC 2
      for (let i = 0; i < order.length; i++) {
        const clear = rtpPacket(7, order[i]!, randomBytes(50));
        expect(u.unprotectRtp(protect(p, clear, rocs[i]!))).toEqual(clear);
      }
    });

    it('a replayed packet is rejected, one older than the window too, a late one inside it is accepted once', () => {
      const p = createProtector(profile, key, salt, impl);
      const u = createUnprotector(profile, key, salt, impl);
      const packets = new Map<number, Buffer>();
      for (let seq = 100; seq < 400; seq++) packets.set(seq, protect(p, rtpPacket(9, seq, randomBytes(80)), 0));
      expect(Buffer.isBuffer(u.unprotectRtp(packets.get(100)!))).toBe(true);
      expect(u.unprotectRtp(packets.get(100)!)).toBe('replay');
      for (let seq = 101; seq < 390; seq++)
        if (seq !== 300) expect(Buffer.isBuffer(u.unprotectRtp(packets.get(seq)!))).toBe(true);
      expect(u.unprotectRtp(packets.get(389)!)).toBe('replay');
      expect(u.unprotectRtp(packets.get(389 - REPLAY_WINDOW)!)).toBe('replay'); // too old to tell
      expect(Buffer.isBuffer(u.unprotectRtp(packets.get(300)!))).toBe(true); // late, inside the window
      expect(u.unprotectRtp(packets.get(300)!)).toBe('replay');
      expect(Buffer.isBuffer(u.unprotectRtp(packets.get(395)!))).toBe(true); // ahead, with a gap
      expect(Buffer.isBuffer(u.unprotectRtp(packets.get(392)!))).toBe(true);
    });

    it('a bad tag, payload or header is rejected and moves nothing; the genuine packet still passes', () => {
      const p = createProtector(profile, key, salt, impl);
      const u = createUnprotector(profile, key, salt, impl);
      expect(Buffer.isBuffer(u.unprotectRtp(protect(p, rtpPacket(5, 10, randomBytes(100)), 0)))).toBe(true);
      const genuine = protect(p, rtpPacket(5, 11, randomBytes(100)), 0);
      for (const at of [genuine.length - 1, genuine.length - 5, 40, 5]) {
        const forged = Buffer.from(genuine);
        forged[at]! ^= 0x01;
        expect(u.unprotectRtp(forged)).toBe('auth');
      }
      // a forged packet far ahead does not move the window either
      const ahead = Buffer.from(protect(p, rtpPacket(5, 5000, randomBytes(100)), 0));
      ahead[ahead.length - 1]! ^= 0x80;
      expect(u.unprotectRtp(ahead)).toBe('auth');
      expect(Buffer.isBuffer(u.unprotectRtp(genuine))).toBe(true);
      expect(u.unprotectRtp(protect(p, rtpPacket(6, 1, randomBytes(10)), 0).subarray(0, 12))).toBe('malformed');
      expect(u.unprotectRtp(Buffer.from([0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, ...randomBytes(30)]))).toBe(
        'malformed',
      );
    });

    it('never throws: random and truncated datagrams are dropped as malformed or unauthentic', () => {
      const p = createProtector(profile, key, salt, impl);
      const u = createUnprotector(profile, key, salt, impl);
      const genuine = protect(p, rtpPacket(3, 1, randomBytes(300)), 0);
      const report = p.protectRtcp(rtcpPacket(3, 10), 1);
      for (let i = 0; i < 3000; i++) {
        const junk = randomBytes(i % 1300);
        if (junk.length) junk[0] = 0x80 | (junk[0]! & 0x3f);
        expect(['auth', 'malformed']).toContain(u.unprotectRtp(junk));
        expect(['auth', 'malformed']).toContain(u.unprotectRtcp(junk));
        expect(['auth', 'malformed']).toContain(u.unprotectRtp(genuine.subarray(0, i % genuine.length)));
        expect(['auth', 'malformed']).toContain(u.unprotectRtcp(report.subarray(0, i % report.length)));
      }
      expect(Buffer.isBuffer(u.unprotectRtp(genuine))).toBe(true); // the real ones still pass
      expect(Buffer.isBuffer(u.unprotectRtcp(report))).toBe(true);
    });

    it('SRTCP: replayed, too old and forged reports are rejected, a late one inside the window accepted once', () => {
      const p = createProtector(profile, key, salt, impl);
      const u = createUnprotector(profile, key, salt, impl);
      const reports = new Map<number, Buffer>();
      for (let i = 1; i <= 200; i++) reports.set(i, p.protectRtcp(rtcpPacket(0xabc, 6), i));
      for (let i = 1; i <= 180; i++)
        if (i !== 150) expect(Buffer.isBuffer(u.unprotectRtcp(reports.get(i)!))).toBe(true);
      expect(u.unprotectRtcp(reports.get(180)!)).toBe('replay');
      expect(u.unprotectRtcp(reports.get(180 - REPLAY_WINDOW)!)).toBe('replay');
      expect(Buffer.isBuffer(u.unprotectRtcp(reports.get(150)!))).toBe(true);
      expect(u.unprotectRtcp(reports.get(150)!)).toBe('replay');
      const forged = Buffer.from(reports.get(181)!);
      forged[12]! ^= 0x10;
      expect(u.unprotectRtcp(forged)).toBe('auth');
      expect(Buffer.isBuffer(u.unprotectRtcp(reports.get(181)!))).toBe(true);
      expect(u.unprotectRtcp(Buffer.alloc(12, 0x81))).toBe('malformed');
    });
  });

  describe.each([
    ['AES_CM_128_HMAC_SHA1_80', SRTP_AES128_CM_HMAC_SHA1_80, ProtectionProfileAes128CmHmacSha1_80, 14],
    ['AEAD_AES_128_GCM', SRTP_AEAD_AES_128_GCM, ProtectionProfileAeadAes128Gcm, 12],
  ] as Array<[string, SrtpProfile, number, number]>)('%s with werift', (_name, profile, weriftProfile, saltLength) => {
    it("unprotects werift's packets, and werift ours, to the same clear bytes across a rollover", () => {
      const key = randomBytes(16);
      const salt = randomBytes(saltLength);
      const sender = weriftSessions(weriftProfile, key, salt);
      const receiver = weriftSessions(weriftProfile, key, salt);
      const u = createUnprotector(profile, key, salt, impl);
      const p = createProtector(profile, key, salt, impl);
      const roc = new RolloverCounter();
      const body = randomBytes(1100);
      let seq = 0xffff - 1000;
      for (let i = 0; i < 2000; i++, seq = (seq + 1) & 0xffff) {
        const h = new RtpHeader({ ssrc: 0x777, sequenceNumber: seq, timestamp: i, payloadType: 96 });
        const clear = Buffer.concat([h.serialize(h.serializeSize), body.subarray(0, (i * 11) % 1101)]);
        const theirs = sender.srtp.encrypt(clear.subarray(12), h);
        expect(u.unprotectRtp(theirs)).toEqual(clear);
        const ours = protect(p, clear, roc.next(seq));
        expect(receiver.srtp.decrypt(ours)).toEqual(clear);
      }
      for (let i = 0; i < 100; i++) {
        const clear = rtcpPacket(0x777, i % 20);
        expect(u.unprotectRtcp(sender.srtcp.encrypt(clear))).toEqual(clear);
      }
    });
  });
});
