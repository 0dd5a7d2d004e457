import { describe, expect, it } from 'vitest';
import { applyOpusOptions } from '../../../edge/plugins/videoroom/opusOptions.js';
import { cappedBitrate } from '../../../edge/plugins/videoroom/handleState.js';
import { handle, Harness } from './harness.js';

const OFFER = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  'm=audio 9 UDP/TLS/RTP/SAVPF 96',
  'a=rtpmap:96 OPUS/48000/2',
  '',
].join('\r\n');

describe('VideoRoom options: done as Janus does, or refused', () => {
  it.each([
    ['require_e2ee', 'end-to-end encrypted rooms are not supported'],
    ['dummy_publisher', 'dummy publishers are not supported'],
    ['videoorient_ext', 'video-orientation'],
    ['playoutdelay_ext', 'playout-delay'],
    ['transport_wide_cc_ext', 'transport-wide-cc'],
  ])('create with %s: true is refused with 430 and creates nothing', async (option, reason) => {
    const h = new Harness();
    await expect(h.vr.requests.create(5, { room: 5, [option]: true })).rejects.toMatchObject({
      code: 430,
      message: expect.stringContaining(reason) as unknown,
    });
    expect(h.saves).toBe(0);
    expect(h.rooms.has(5)).toBe(false);
    expect(h.vr.requests.summary()).toBeUndefined();
  });

  it('h264_profile and vp9_profile are kept for the codecs of the room (as Janus) and preferred in the offers', async () => {
    const h = new Harness();
    await h.vr.requests.create(5, { room: 5, videocodec: 'vp8,H264', h264_profile: '42e01f', vp9_profile: '2' });
    const pub = handle();
    await h.vr.publishers.join(pub, { room: 5, ptype: 'publisher' });
    expect(h.vr.publishers.preparePublish(pub).videoProfiles).toEqual({ h264: '42e01f' });
    const h2 = new Harness();
    await h2.vr.requests.create(6, { room: 6, videocodec: 'vp9', vp9_profile: '2' });
    const other = handle();
    await h2.vr.publishers.join(other, { room: 6, ptype: 'publisher' });
    expect(h2.vr.publishers.preparePublish(other).videoProfiles).toEqual({ vp9: '2' });
  });

  it('the same options set to false are accepted, and list reports no extension the relay does not negotiate', async () => {
    const h = new Harness();
    await h.vr.requests.create(5, {
      room: 5,
      record: false,
      require_e2ee: false,
      dummy_publisher: false,
      videoorient_ext: false,
      playoutdelay_ext: false,
      transport_wide_cc_ext: false,
    });
    expect(h.vr.requests.summary()).toMatchObject({
      record: false,
      require_e2ee: false,
      dummy_publisher: false,
      opus_fec: true,
      opus_dtx: false,
      videoorient_ext: false,
      playoutdelay_ext: false,
      transport_wide_cc_ext: false,
    });
  });

  it('a room with defaults reports the header extensions false (only audio-level is negotiated)', async () => {
    const h = new Harness();
    await h.vr.requests.create(6, { room: 6 });
    expect(h.vr.requests.summary()).toMatchObject({
      audiolevel_ext: true,
      videoorient_ext: false,
      playoutdelay_ext: false,
      transport_wide_cc_ext: false,
    });
  });

  it('publish plans carry the room opus_fec / opus_dtx', async () => {
    const h = new Harness();
    await h.vr.requests.create(7, { room: 7, opus_fec: false, opus_dtx: true });
    const who = handle();
    await h.vr.publishers.join(who, { room: 7, ptype: 'publisher' });
    expect(h.vr.publishers.preparePublish(who).opus).toEqual({ fec: false, dtx: true });
  });

  it('publish plans carry the room fir_freq and bitrate_cap; a cap bounds what a publisher asks for only with bitrate_cap', async () => {
    const h = new Harness();
    const g = new Harness();
    await h.vr.requests.create(8, { room: 8, bitrate: 128_000, bitrate_cap: true, fir_freq: 10 });
    await g.vr.requests.create(9, { room: 9, bitrate: 128_000 });
    const capped = handle();
    const free = handle();
    await h.vr.publishers.join(capped, { room: 8, ptype: 'publisher' });
    await g.vr.publishers.join(free, { room: 9, ptype: 'publisher' });
    expect(h.vr.publishers.preparePublish(capped)).toMatchObject({ bitrate: 128_000, bitrateCap: true, firFreq: 10 });
    expect(g.vr.publishers.preparePublish(free)).toMatchObject({ bitrate: 128_000, bitrateCap: false, firFreq: 0 });
    expect(cappedBitrate(512_000, 128_000)).toBe(128_000);
    expect(cappedBitrate(64_000, 128_000)).toBe(64_000);
    expect(cappedBitrate(512_000, undefined)).toBe(512_000);
  });

  it('opus_fec / opus_dtx rewrite the Opus fmtp of the offer the relay answers', () => {
    const both = applyOpusOptions(OFFER, { fec: true, dtx: true });
    expect(both).toContain('a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n');
    // An Opus payload type without fmtp gets one; PCMU is left alone.
    expect(both).toContain('a=rtpmap:96 OPUS/48000/2\r\na=fmtp:96 useinbandfec=1;usedtx=1');
    expect(both).not.toMatch(/a=fmtp:0 /);
    const none = applyOpusOptions(OFFER, { fec: false, dtx: false });
    expect(none).toContain('a=fmtp:111 minptime=10\r\n');
    expect(none).not.toMatch(/useinbandfec|usedtx|a=fmtp:96/);
    const fecOnly = applyOpusOptions('a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n', {
      fec: false,
      dtx: false,
    });
    expect(fecOnly).toBe('a=rtpmap:111 opus/48000/2\r\n');
  });
});
