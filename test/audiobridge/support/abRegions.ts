/**
 * A stack with relays in two regions (RELAY_REGIONS=eu,us) for AudioBridge tests: the relay of a
 * region, its resources, and participants that join from a region sending a tone (every one of them
 * released by `stop`).
 */
import { expect } from 'vitest';
import { WebRtcVoice } from '../../relay/audiobridge/support/voiceClient.js';
import { relayDebug } from '../../support/stack.js';
import { AbParticipant } from './abParticipant.js';
import { AbStack } from './abStack.js';

export interface Joined {
  p: AbParticipant;
  v: WebRtcVoice;
}

export class AbRegions extends AbStack {
  override start(env: Record<string, string> = {}): Promise<this> {
    return super.start({ RELAY_REGIONS: 'eu,us', ...env });
  }

  relay(region: string) {
    return this.stack.relays.find((r) => r.region === region)!;
  }

  /** The relay's `/debug/resources`. */
  resources<T>(region: string): Promise<T> {
    return relayDebug<T>(this.stack, this.relay(region).httpUrl, '/debug/resources');
  }

  /** Joins `room` as `id` ("p<id>") from `region`, sending `freq` (silent without); returns once media is up. */
  async join(room: number, id: number, region: string, freq: number | undefined): Promise<Joined> {
    const p = await AbParticipant.connect(this.stack, region);
    this.people.push(p);
    const v = new WebRtcVoice(freq);
    this.voices.push(v);
    const ev = await p.ask({ request: 'join', room, id, display: `p${id}` }, { type: 'offer', sdp: await v.offer() });
    expect(ev.plugindata?.data, JSON.stringify(ev)).toMatchObject({ audiobridge: 'joined', room, id });
    await v.accept(ev.jsep.sdp);
    await v.connected(15_000);
    await p.janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === p.handleId, 15_000, 'webrtcup');
    v.start();
    return { p, v };
  }

  /** `leave`, then closes the participant's voice and handle. */
  async leave(j: Joined): Promise<void> {
    await j.p.ask({ request: 'leave' });
    await j.v.close();
    await j.p.close();
    this.people.splice(this.people.indexOf(j.p), 1);
    this.voices.splice(this.voices.indexOf(j.v), 1);
  }
}
