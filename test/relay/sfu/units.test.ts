import { describe, expect, it } from 'vitest';
import { rankRids } from '../../../relay/sfu/feed.js';
import { SendHistory } from '../../../relay/sfu/history.js';
import { CodecId, isH264Keyframe, isKeyframe, isVp8Keyframe, vp8TemporalId } from '../../../relay/sfu/payload.js';
import { janusSubscriberOffer, rejectSections } from '../../../relay/sdp.js';
import { codecList, filterPublisherOffer } from '../../../relay/sfu/sdp.js';
import { LegHeader } from '../../../relay/sfu/wire.js';

describe('SFU payload inspection', () => {
  it('detects VP8 keyframes and temporal ids', () => {
    expect(isVp8Keyframe(Buffer.from([0x10, 0x00, 0x9d]))).toBe(true); // S=1 PID=0, P=0
    expect(isVp8Keyframe(Buffer.from([0x10, 0x01, 0x9d]))).toBe(false); // P=1
    expect(isVp8Keyframe(Buffer.from([0x00, 0x00, 0x9d]))).toBe(false); // not the start of a frame
    // X=1, I=1 (15-bit picture id), L=1, T=1: TID=2
    const ext = Buffer.from([0x90, 0xe0, 0x80, 0x01, 0x05, 0x80, 0x00]);
    expect(isVp8Keyframe(ext)).toBe(true);
    expect(vp8TemporalId(ext)).toBe(2);
    expect(vp8TemporalId(Buffer.from([0x90, 0x20, 0x40, 0x01]))).toBe(1);
    expect(vp8TemporalId(Buffer.from([0x10, 0x00]))).toBe(0);
  });

  it('detects H.264 keyframes (single NAL, STAP-A, FU-A)', () => {
    expect(isH264Keyframe(Buffer.from([0x65]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x41]))).toBe(false);
    expect(isH264Keyframe(Buffer.from([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x7c, 0x85]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x7c, 0x05]))).toBe(false); // not the first fragment
    expect(isKeyframe(CodecId.OTHER, Buffer.from([0]))).toBe(false);
  });

  it('ranks simulcast rids lowest first', () => {
    expect(rankRids(['h', 'm', 'l'])).toEqual(['l', 'm', 'h']);
    expect(rankRids(['l', 'h'])).toEqual(['l', 'h']);
    expect(rankRids(['f', 'h', 'q'])).toEqual(['q', 'h', 'f']); // unknown scheme: listed highest first
    expect(rankRids(['a', 'b'])).toEqual(['b', 'a']);
  });
});

describe('SFU send history', () => {
  it('keeps the last N packets by sequence number, across wrap-around', () => {
    const h = new SendHistory(512);
    const p = (n: number) => Buffer.from([n & 0xff]);
    for (let i = 0; i < 1000; i++) h.put((65000 + i) & 0xffff, i * 3000, i % 2 === 0, p(i));
    expect(h.payload((65000 + 999) & 0xffff)?.[0]).toBe(999 & 0xff);
    expect(h.payload((65000 + 488) & 0xffff)?.[0]).toBe(488 & 0xff);
    expect(h.payload((65000 + 487) & 0xffff)).toBeUndefined(); // fell out of the window
    expect(h.timestamp((65000 + 600) & 0xffff)).toBe(600 * 3000);
    expect(h.marker((65000 + 600) & 0xffff)).toBe(true);
    expect(() => new SendHistory(500)).toThrow();
  });

  it('with a window (min_nack_queue), resends only packets sent at most that long ago, read live', () => {
    const window = { minNackQueueMs: 200 };
    const h = new SendHistory(512, window);
    h.put(1, 0, false, Buffer.from([1]), 0, 10_000);
    h.put(2, 0, false, Buffer.from([2]), 0, 10_150);
    expect(h.payload(1, 10_200)?.[0]).toBe(1);
    expect(h.payload(1, 10_201)).toBeUndefined();
    expect(h.payload(2, 10_201)?.[0]).toBe(2);
    window.minNackQueueMs = 1000;
    expect(h.payload(1, 10_900)?.[0]).toBe(1);
    expect(h.payload(1, 11_500)).toBeUndefined();
    expect(h.payload(1, 11_500, 1_600)?.[0]).toBe(1); // the receiver's RTT, when longer, extends it
    window.minNackQueueMs = 0; // 0: no retransmissions at all
    expect(h.payload(2, 10_150)).toBeUndefined();
  });
});

describe('SFU leg header', () => {
  it('serializes like an RTP header with the mid extension, patched in place', () => {
    const h = new LegHeader(0x11223344, 96, { id: 1, value: '3' });
    const b = h.set(0xabcd, 0x01020304, true).serialize();
    expect(h.serializeSize).toBe(20);
    expect([...b.subarray(0, 12)]).toEqual([0x90, 0xe0, 0xab, 0xcd, 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44]);
    expect([...b.subarray(12)]).toEqual([0xbe, 0xde, 0x00, 0x01, 0x10, 0x33, 0x00, 0x00]);
    h.set(1, 2, false);
    expect(b[1]).toBe(96);
    const plain = new LegHeader(5, 111, undefined);
    expect(plain.serializeSize).toBe(12);
    expect(plain.set(1, 2, false).serialize()[0]).toBe(0x80);
  });
});

describe('SFU publisher offer filtering', () => {
  const offer = [
    'v=0',
    'o=- 1 1 IN IP4 0.0.0.0',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
    'a=mid:0',
    'a=sendonly',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10',
    'a=rtpmap:0 PCMU/8000',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102',
    'a=mid:1',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 nack',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'a=rtpmap:102 H264/90000',
    'a=fmtp:102 profile-level-id=42e01f;packetization-mode=1',
    'a=rid:h send',
    'a=rid:l send',
    'a=simulcast:send h;l',
    '',
  ].join('\r\n');

  it('keeps the first allowed codec in the room order', () => {
    const f = filterPublisherOffer(offer, { audio: codecList('pcmu,opus', []), video: codecList('h264,vp8', []) });
    expect(f.sections.map((s) => [s.mid, s.codec, s.payloadType, s.rejected, s.direction])).toEqual([
      ['0', 'pcmu', 0, false, 'sendonly'],
      ['1', 'h264', 102, false, 'sendrecv'],
    ]);
    expect(f.sections[1]!.rids).toEqual(['h', 'l']);
    expect(f.sdp).toMatch(/m=audio 9 UDP\/TLS\/RTP\/SAVPF 0\r\n/);
    expect(f.sdp).not.toMatch(/opus/);
    expect(f.sdp).toMatch(/m=video 9 UDP\/TLS\/RTP\/SAVPF 102\r\n/);
    expect(f.sdp).not.toMatch(/VP8|rtx/);
    expect(f.sdp).toMatch(/a=simulcast:send h;l/);
  });

  it("prefers the payload type with the room's profile, as Janus matches it, else the codec without it", () => {
    const video = (lines: string[]) =>
      offer.replace(
        /m=video[\s\S]*$/,
        ['m=video 9 UDP/TLS/RTP/SAVPF 100 102 104 106 108', 'a=mid:1', ...lines, ''].join('\r\n'),
      );
    const h264 = video([
      'a=rtpmap:100 H264/90000',
      'a=fmtp:100 packetization-mode=1;profile-level-id=42001f',
      'a=rtpmap:102 H264/90000',
      'a=fmtp:102 packetization-mode=0;profile-level-id=42e01f',
      'a=rtpmap:104 H264/90000',
      'a=fmtp:104 packetization-mode=1;profile-level-id=42E01F',
      'a=rtpmap:106 VP9/90000',
      'a=fmtp:106 profile-id=0',
      'a=rtpmap:108 VP9/90000',
      'a=fmtp:108 profile-id=2',
    ]);
    const pick = (codecs: string, profiles: { h264?: string; vp9?: string }) =>
      filterPublisherOffer(h264, { audio: ['opus'], video: codecList(codecs, []), profiles }).sections[1]!;
    // packetization-mode=0 never matches; the profile matches in upper case too
    expect(pick('h264', { h264: '42e01f' })).toMatchObject({
      payloadType: 104,
      fmtp: 'packetization-mode=1;profile-level-id=42E01F',
    });
    expect(pick('h264', {})).toMatchObject({ payloadType: 100 });
    expect(pick('h264', { h264: '640c1f' })).toMatchObject({ payloadType: 100 });
    expect(pick('vp9,h264', { vp9: '2', h264: '42e01f' })).toMatchObject({ codec: 'vp9', payloadType: 108 });
    expect(pick('vp9', {})).toMatchObject({ payloadType: 106, fmtp: 'profile-id=0' });
  });

  it('marks m-lines without an allowed codec rejected and rewrites them in the answer', () => {
    const f = filterPublisherOffer(offer, { audio: ['opus'], video: ['av1'] });
    expect(f.sections[1]).toMatchObject({ rejected: true, codec: undefined });
    expect(f.sdp).toMatch(/m=video 9 UDP\/TLS\/RTP\/SAVPF 96\r\n/); // placeholder for werift
    const answer = [
      'v=0',
      'o=- 2 2 IN IP4 0.0.0.0',
      's=-',
      't=0 0',
      'a=group:BUNDLE 0 1',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=mid:0',
      'a=recvonly',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:1',
      'a=ice-ufrag:x',
      '',
    ].join('\r\n');
    const fixed = rejectSections(answer, offer, new Set(['1']));
    expect(fixed).toMatch(/a=group:BUNDLE 0\r\n/);
    expect(fixed).toMatch(
      /m=video 0 UDP\/TLS\/RTP\/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\na=rtpmap:96 VP8\/90000\r\n$/,
    );
  });
});

describe('SFU subscriber offers', () => {
  it('keep inactive m-lines on the bundle (port 9) and say actpass, as Janus does', () => {
    // What werift writes once connected, with every stream gone.
    const werift = [
      'v=0',
      'o=- 1 2 IN IP4 0.0.0.0',
      's=-',
      't=0 0',
      'a=group:BUNDLE 0 1 2',
      'm=audio 0 UDP/TLS/RTP/SAVPF 111',
      'a=mid:0',
      'a=inactive',
      'a=setup:passive',
      'm=video 0 UDP/TLS/RTP/SAVPF 96',
      'a=mid:1',
      'a=inactive',
      'a=setup:passive',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'a=mid:2',
      'a=setup:passive',
      '',
    ].join('\r\n');
    const out = janusSubscriberOffer(werift);
    expect(out).toContain('a=group:BUNDLE 0 1 2\r\n');
    expect(out.match(/^m=\S+ \d+/gm)).toEqual(['m=audio 9', 'm=video 9', 'm=application 9']);
    expect(out.match(/^a=setup:.*$/gm)).toEqual(['a=setup:actpass', 'a=setup:actpass', 'a=setup:actpass']);
    expect(out.match(/^a=inactive$/gm)).toHaveLength(2);
  });
});
