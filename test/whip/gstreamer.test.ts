/**
 * A third-party WHIP client: GStreamer's webrtcbin (Debian 12 has no whipsink, so a small Python
 * script drives it) publishes VP8 + Opus into a VideoRoom; a Janus-API subscriber (werift) receives
 * its VP8; the script's DELETE ends the publisher.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { hostAddress } from '../support/referenceNet.js';
import { subscribe } from '../videoroom/support/participant.js';
import { useRoomStack } from './support/roomStack.js';
import { aiortcMissing, aiortcWhepPlay, gstWhipPublish, gstreamerMissing } from './support/gstreamer.js';

const missing = gstreamerMissing();
const noAiortc = aiortcMissing();
if (noAiortc) console.warn(`aiortc WHEP player skipped (${noAiortc}): .ci/run installs python3-aiortc`);
if (missing)
  console.warn(
    `GStreamer WHIP client skipped (${missing}): .ci/run installs gstreamer1.0-plugins-bad, gstreamer1.0-nice, gir1.2-gst-plugins-bad-1.0 and python3-gi`,
  );

describe.skipIf(missing !== undefined)('WHIP from GStreamer webrtcbin', () => {
  // libnice gathers no loopback candidate and pairs none with a 127.0.0.1 remote: the relay's ICE
  // binds the host's address (still local delivery), as against the reference Janus.
  const rs = useRoomStack({ RELAY_BIND_ADDRESS: hostAddress() });

  it('webrtcbin publishes VP8 + Opus over WHIP; a Janus-API subscriber receives its VP8, aiortc plays it over WHEP; its DELETE ends it', async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_300_000, 2);
    const gst = gstWhipPublish(`${stack.baseUrl}/whip/endpoint/${room}?display=gstreamer`, 14);
    try {
      await waitFor(() => gst.find('created') !== undefined || gst.find('error') !== undefined, 20_000, 'the POST');
      expect(gst.find('created')?.status, gst.describe()).toBe(201);
      const listed = (await rs.participants(room)) as any[];
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ display: 'gstreamer', publisher: true });
      await waitFor(
        () => gst.events.some((e) => e.event === 'ice' && (e.state === 'connected' || e.state === 'completed')),
        15_000,
        `GStreamer's ICE connected: ${gst.describe()}`,
      );

      const sub = await subscribe(stack, room, [listed[0].id as number]);
      const video = sub.streams.find((s) => s.type === 'video');
      expect(video?.codec).toBe('vp8');
      expect(sub.streams.find((s) => s.type === 'audio')?.codec).toBe('opus');
      await waitFor(
        () => sub.client.received.video > 60 && sub.client.received.audio > 20,
        15_000,
        'GStreamer media at the subscriber',
      );

      // aiortc plays it over WHEP and decodes its VP8 (320x240, as videotestsrc makes it).
      if (!noAiortc) {
        const player = aiortcWhepPlay(`${stack.baseUrl}/whep/endpoint/${room}/${listed[0].id}`, 4);
        try {
          expect(await player.exited, player.describe()).toBe(0);
          expect(player.find('created')?.status).toBe(201);
          expect(player.find('frames'), player.describe()).toMatchObject({ width: 320, height: 240 });
          expect(player.find('frames')!.video as number).toBeGreaterThan(30);
          expect(player.find('deleted')?.status).toBe(200);
        } finally {
          player.kill();
        }
      }

      // The script's DELETE after its seconds: the publisher leaves the room.
      expect(await gst.exited, gst.describe()).toBe(0);
      expect(gst.find('deleted')?.status).toBe(200);
      expect(await rs.participants(room)).toEqual([]);
      await sub.client.close();
      await sub.s.close();
    } finally {
      gst.kill();
    }
  }, 90_000);
});
