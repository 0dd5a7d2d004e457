import { RTCRtpCodecParameters } from 'werift';

/**
 * What a playback peer offers for a recording's codec, with Janus Record&Play's payload types (111
 * for audio, 100 for video; G.711 and G.722 keep their static ones). Undefined: a codec we cannot
 * play (the track is left out, as Janus leaves out what it cannot match).
 */
const feedback = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }];

export function playbackCodec(
  kind: 'audio' | 'video',
  codec: string,
  fmtp?: string,
): RTCRtpCodecParameters | undefined {
  const parameters = fmtp ? { parameters: fmtp } : {};
  if (kind === 'audio') {
    switch (codec) {
      case 'opus':
        return new RTCRtpCodecParameters({
          mimeType: 'audio/opus',
          clockRate: 48000,
          channels: 2,
          payloadType: 111,
          ...parameters,
        });
      case 'pcmu':
        return new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 });
      case 'pcma':
        return new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 });
      case 'g722':
        return new RTCRtpCodecParameters({ mimeType: 'audio/G722', clockRate: 8000, channels: 1, payloadType: 9 });
    }
    return undefined;
  }
  const video = (mimeType: string, extra: Record<string, unknown> = {}) =>
    new RTCRtpCodecParameters({
      mimeType,
      clockRate: 90000,
      payloadType: 100,
      rtcpFeedback: feedback,
      ...parameters,
      ...extra,
    });
  switch (codec) {
    case 'vp8':
      return video('video/VP8');
    case 'vp9':
      return video('video/VP9');
    case 'av1':
      return video('video/AV1');
    case 'h264':
      return video(
        'video/H264',
        fmtp ? {} : { parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' },
      );
  }
  return undefined;
}
