/** A Streaming mountpoint for WHEP players: RTP from ffmpeg, created by a Streaming handle kept alive. */
import { expect } from 'vitest';
import { avMedia, ffmpegSend, StreamingHandle } from '../../streaming/support/viewer.js';
import type { Stack } from '../../support/stack.js';

/**
 * Creates an `rtp` mountpoint (VP8 + Opus, id `idBase` + a random part) and starts ffmpeg sending 30 s
 * into it. `close()` stops ffmpeg, destroys the mountpoint and closes the handle, whatever failed.
 */
export async function ffmpegMountpoint(stack: Stack, idBase: number) {
  const admin = await StreamingHandle.connect(stack);
  const keepalive = setInterval(
    () => void admin.janus.request({ janus: 'keepalive', session_id: admin.sessionId }),
    1000,
  );
  const id = idBase + Math.floor(Math.random() * 1e6);
  const c = await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia });
  expect(c.streaming, JSON.stringify(c)).toBe('created');
  const port = (mid: string) => c.stream.ports.find((p: { mid: string }) => p.mid === mid).port as number;
  const ffmpeg = ffmpegSend('127.0.0.1', port('a'), port('v'), 30);
  return {
    admin,
    id,
    viewers: async () => (await admin.sync({ request: 'info', id })).info.viewers as number,
    async close() {
      ffmpeg.kill('SIGKILL');
      clearInterval(keepalive);
      await admin.sync({ request: 'destroy', id }).catch(() => undefined);
      await admin.close();
    },
  };
}
