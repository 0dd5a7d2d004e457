import { describe, expect, it } from 'vitest';
import {
  remoteStreamFormat,
  videoProfileOf,
  withStreamFormats,
} from '../../../edge/plugins/videoroom/streamFormats.js';
import { Harness, handle, relayA } from './harness.js';

/** A browser's publisher offer: Opus with FEC and stereo on m-line 0, VP8 + H.264 on m-line 1. */
const OFFER = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:0',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1;stereo=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 102',
  'a=mid:1',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  '',
].join('\r\n');

const relayStreams = [
  { type: 'audio' as const, mindex: 0, mid: '0', codec: 'opus', fmtp: 'minptime=10;useinbandfec=1;stereo=1' },
  {
    type: 'video' as const,
    mindex: 1,
    mid: '1',
    codec: 'h264',
    fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  },
];

describe('VideoRoom stream formats (what Janus says of a stream beside its codec)', () => {
  it('reads profiles as janus_sdp_get_video_profile does', () => {
    expect(videoProfileOf('h264', 'packetization-mode=1;profile-level-id=42E01F')).toBe('42E01F');
    expect(videoProfileOf('vp9', 'profile-id=2')).toBe('2');
    expect(videoProfileOf('vp9', 'profile-level-id=42e01f')).toBeUndefined();
    expect(videoProfileOf('vp8', 'profile-id=2')).toBeUndefined();
    expect(videoProfileOf('h264', undefined)).toBeUndefined();
  });

  it("adds Opus flags from the client's own offer (only with opus_fec) and the profile the relay took", () => {
    const withFec = withStreamFormats(relayStreams, OFFER, { opus: { fec: true, dtx: false }, profiles: {} });
    expect(withFec).toEqual([
      { type: 'audio', mindex: 0, mid: '0', codec: 'opus', stereo: true, fec: true },
      { type: 'video', mindex: 1, mid: '1', codec: 'h264', h264_profile: '42e01f' },
    ]);
    // Janus reads the Opus flags only in rooms with opus_fec; the relay's fmtp is never kept.
    const noFec = withStreamFormats(relayStreams, OFFER, { opus: { fec: false, dtx: true }, profiles: {} });
    expect(noFec[0]).toEqual({ type: 'audio', mindex: 0, mid: '0', codec: 'opus' });
    // The room's spelling of the profile when the relay took it; disabled streams say nothing.
    const roomCase = withStreamFormats(
      [
        relayStreams[1]!,
        { type: 'video', mindex: 2, mid: '2', codec: 'h264', fmtp: 'profile-level-id=42e01f', disabled: true },
      ],
      OFFER,
      { opus: { fec: true, dtx: false }, profiles: { h264: '42E01F' } },
    );
    expect(roomCase.map((s) => s.h264_profile)).toEqual(['42E01F', undefined]);
  });

  it("a remote stream's formats: as declared, else the room's profile", () => {
    expect(remoteStreamFormat({ codec: 'opus', stereo: true, dtx: true }, {})).toEqual({ stereo: true, dtx: true });
    expect(remoteStreamFormat({ codec: 'H264' }, { h264: '42e01f' })).toEqual({ h264_profile: '42e01f' });
    expect(remoteStreamFormat({ codec: 'h264', h264_profile: '640c1f' }, { h264: '42e01f' })).toEqual({
      h264_profile: '640c1f',
    });
    expect(remoteStreamFormat({ codec: 'vp9' }, { h264: '42e01f' })).toEqual({});
    expect(remoteStreamFormat({ codec: 'h264', disabled: true }, { h264: '42e01f' })).toEqual({});
  });

  it('a renegotiation keeps the formats of the first offer (as Janus); a new stream gets its own', async () => {
    const h = new Harness();
    await h.vr.requests.create(5, { room: 5 });
    const pub = handle();
    await h.vr.publishers.join(pub, { room: 5, ptype: 'publisher' });
    const relay = relayA;
    const first = h.vr.publishers.published(
      pub,
      [{ type: 'audio', mindex: 0, mid: '0', codec: 'opus', fec: true }],
      relay,
      {},
    );
    expect(first.streams).toEqual([{ type: 'audio', mindex: 0, mid: '0', codec: 'opus', fec: true }]);
    const again = h.vr.publishers.published(
      pub,
      [
        { type: 'audio', mindex: 0, mid: '0', codec: 'opus', dtx: true },
        { type: 'audio', mindex: 1, mid: '1', codec: 'opus', stereo: true },
      ],
      relay,
      {},
    );
    expect(again.streams).toEqual([
      { type: 'audio', mindex: 0, mid: '0', codec: 'opus', fec: true },
      { type: 'audio', mindex: 1, mid: '1', codec: 'opus', stereo: true },
    ]);
  });
});
