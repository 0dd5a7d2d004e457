import type { CommandInput } from '../../../shared/control/commands.js';
import { StreamingHarness } from './harness.js';

/** A harness whose relay answers `streaming.rtsp` as a relay that reached the server would. */
export function rtspHarness(): StreamingHarness {
  const h = new StreamingHarness();
  const inner = h.relays.command.bind(h.relays);
  h.relays.command = (async (relay, cmd) => {
    const out = await inner(relay, cmd);
    const c = cmd as CommandInput;
    if (c.op !== 'streaming.rtsp') return out;
    const media = [];
    if (c.audio)
      media.push({
        type: 'audio',
        mid: 'a',
        pt: 111,
        codec: 'opus',
        rtpmap: 'OPUS/48000/2',
        fmtp: 'sprop-stereo=1',
        port: 31000,
        rtcpport: 31001,
      });
    if (c.video)
      media.push({ type: 'video', mid: 'v', pt: 96, codec: 'vp8', rtpmap: 'VP8/90000', port: 31002, rtcpport: 31003 });
    return { ip: '192.0.2.7', media };
  }) as typeof h.relays.command;
  return h;
}
