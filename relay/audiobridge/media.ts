import { RTCRtpCodecParameters } from 'werift';
import type { AbCodec } from '../../shared/control/audiobridge.js';
import type { PeerMedia } from '../peer/factory.js';
import { sfuMedia } from '../sfu/wire.js';

/** Janus's Opus payload type when the AudioBridge makes the offer. */
const OFFER_OPUS_PT = 111;

/** The one audio codec a participant negotiates, as Janus's AudioBridge offers/answers it. */
export function participantCodec(codec: AbCodec, stereo: boolean): RTCRtpCodecParameters {
  if (codec === 'pcmu')
    return new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 });
  if (codec === 'pcma')
    return new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 });
  return new RTCRtpCodecParameters({
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    payloadType: OFFER_OPUS_PT,
    parameters: `minptime=10;useinbandfec=1${stereo ? ';stereo=1;sprop-stereo=1' : ''}`,
  });
}

/**
 * A participant's PeerConnection media: its one audio codec (the offer is filtered to it first, see
 * commands), the audio-level extension when the room negotiates it; video codecs stay known to
 * werift only so that it can parse the video m-lines it then answers rejected.
 */
export function participantMedia(codec: AbCodec, stereo: boolean, audioLevel: boolean): PeerMedia {
  const base = sfuMedia(audioLevel);
  return {
    codecs: { audio: [participantCodec(codec, stereo)], video: base.codecs.video },
    headerExtensions: base.headerExtensions,
  };
}
