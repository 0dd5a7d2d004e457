import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { joinWebRtc, mixerSettings, SESSION } from './support/join.js';
import { rtpReceiver } from './support/rtpReceiver.js';
import { WebRtcVoice } from './support/voiceClient.js';

/**
 * Janus's forwarding groups on a real relay: two werift participants sending 440 Hz (group a) and
 * 880 Hz (group b). A forwarder of group a carries a's tone and not b's, one of group b the reverse,
 * one without a group both; participants still hear everyone; a participant's configured group moves
 * its voice to the other group's forwarder; a file played in a group reaches that group's forwarder.
 */

const fx = relayFixture([47300, 47349], { env: { RELAY_REMOTE_PORT_MIN: '37300', RELAY_REMOTE_PORT_MAX: '37349' } });

const root = mkdtempSync(join(tmpdir(), 'ab-groups-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ROOM_KEY = { sessionId: 9300, handleId: 9301 };
const MIXER = 'ab:groups';
const HEARD = 1500;
const NOT_HEARD = 300;

const forward = (streamId: number, port: number, group?: string): CommandInput =>
  ({
    op: 'ab.forward',
    ...ROOM_KEY,
    mixer: MIXER,
    mixerSettings: mixerSettings(41, { samplingRate: 16000 }),
    streamId,
    host: '127.0.0.1',
    port,
    ...(group !== undefined ? { group } : {}),
  }) as CommandInput;

describe('AudioBridge forwarding groups on the relay', () => {
  const a = fx.track(new WebRtcVoice(440));
  const b = fx.track(new WebRtcVoice(880));
  const ofA = fx.track(rtpReceiver('opus'));
  const ofB = fx.track(rtpReceiver('opus'));
  const ofAll = fx.track(rtpReceiver('opus'));

  it("a group's forwarder carries only that group's voices; everyone still hears everyone", async () => {
    const mixer = { samplingRate: 16000 };
    await joinWebRtc(fx.link, a, 1, MIXER, { room: 41, mixer, settings: { group: 'a' } });
    await joinWebRtc(fx.link, b, 2, MIXER, { room: 41, mixer, settings: { group: 'b' } });
    await fx.link.call(forward(1, await ofA.bind(), 'a'));
    await fx.link.call(forward(2, await ofB.bind(), 'b'));
    await fx.link.call(forward(3, await ofAll.bind()));
    await waitFor(() => ofAll.level(440) > HEARD && ofAll.level(880) > HEARD, 8000, 'the whole mix has both tones');
    await waitFor(() => ofA.level(440) > HEARD && ofB.level(880) > HEARD, 8000, "each group's forwarder has its tone");
    expect(ofA.level(880)).toBeLessThan(NOT_HEARD);
    expect(ofB.level(440)).toBeLessThan(NOT_HEARD);
    await waitFor(() => a.level(880) > HEARD && b.level(440) > HEARD, 8000, 'each hears the other');
  });

  it("a participant configured into the other group is carried by that group's forwarder", async () => {
    await fx.link.call({ op: 'ab.configure', sessionId: SESSION, handleId: 1, settings: { group: 'b' } });
    await waitFor(() => ofB.level(440) > HEARD && ofA.level(440) < NOT_HEARD, 8000, 'a moved to group b');
    expect(ofB.level(880)).toBeGreaterThan(HEARD);
  });

  it("a file played in a group is carried by that group's forwarder and the whole mix, not the other group's", async () => {
    const file = join(root, 'tone660.opus');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=660:duration=3'],
      ...['-c:a', 'libopus', '-b:a', '32k', file],
    ]);
    await fx.link.call({
      op: 'ab.play',
      ...ROOM_KEY,
      mixer: MIXER,
      mixerSettings: mixerSettings(41, { samplingRate: 16000 }),
      fileId: 'in-a',
      path: file,
      group: 'a',
    } as CommandInput);
    await waitFor(() => ofA.level(660) > HEARD && ofAll.level(660) > HEARD, 8000, "the file on a's forwarder");
    expect(ofB.level(660)).toBeLessThan(NOT_HEARD);
    await fx.link.call({ op: 'ab.stopPlay', ...ROOM_KEY, mixer: MIXER, fileId: 'in-a' });
  });

  it('stopping the group forwarders leaves the whole mix forwarded', async () => {
    expect(await fx.link.call({ op: 'ab.stopForward', ...ROOM_KEY, mixer: MIXER, streamId: 1 })).toEqual({
      stopped: true,
    });
    expect(await fx.link.call({ op: 'ab.stopForward', ...ROOM_KEY, mixer: MIXER, streamId: 2 })).toEqual({
      stopped: true,
    });
    expect(fx.relay.audiobridge.mixer(MIXER)!.media.forwarders.groups.size).toBe(0);
    await waitFor(() => ofAll.level(440) > HEARD && ofAll.level(880) > HEARD, 4000, 'the whole mix still has both');
  });
});
