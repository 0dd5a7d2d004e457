import type { CommandInput } from '../../../../shared/control/commands.js';
import type { RelayLink } from '../../support/edge.js';
import type { WebRtcVoice } from './voiceClient.js';

export const AB = 'janus.plugin.audiobridge';
export const SESSION = 7000;

export function mixerSettings(room: number, extra: Record<string, unknown> = {}) {
  return { room, samplingRate: 48000 as const, ...extra };
}

/** A WebRTC participant joins `mixer` with its offer, connects and starts sending. */
export async function joinWebRtc(
  link: RelayLink,
  voice: WebRtcVoice,
  handleId: number,
  mixer: string,
  opts: { room?: number; settings?: Record<string, unknown>; mixer?: Record<string, unknown> } = {},
): Promise<void> {
  const offer = await voice.offer();
  const res = await link.call({
    op: 'peer.create',
    sessionId: SESSION,
    handleId,
    plugin: AB,
    offer: { sdp: offer },
    options: {
      mixer,
      mixerSettings: mixerSettings(opts.room ?? 1, opts.mixer),
      participant: handleId,
      settings: opts.settings ?? {},
    },
  } as Extract<CommandInput, { op: 'peer.create' }>);
  if (!('answer' in res)) throw new Error('expected an answer');
  await voice.accept(res.answer.sdp);
  await voice.connected();
  voice.start();
}
