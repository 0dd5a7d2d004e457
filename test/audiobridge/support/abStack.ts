/** A stack for AudioBridge media tests: a moderator's handle, and every voice and participant a test opens, all released at the end. */
import { WebRtcVoice } from '../../relay/audiobridge/support/voiceClient.js';
import { startStack, type Stack } from '../../support/stack.js';
import { AbParticipant } from './abParticipant.js';

export class AbStack {
  stack!: Stack;
  /** A handle of its own that creates and moderates rooms. */
  admin!: AbParticipant;
  /** What tests opened, closed by `stop`. */
  readonly voices: WebRtcVoice[] = [];
  readonly people: AbParticipant[] = [];

  async start(env: Record<string, string> = {}): Promise<this> {
    this.stack = await startStack(env);
    this.admin = await AbParticipant.connect(this.stack);
    return this;
  }

  async stop(): Promise<void> {
    for (const v of this.voices) await v.close().catch(() => undefined);
    for (const p of this.people) await p.close().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
    await this.stack?.stop();
  }
}

/** A room's create body asking for talking events after 10 packets averaging level 60 or louder. */
export const talkingRoom = (room: number) => ({
  request: 'create',
  room,
  secret: 'sec',
  audiolevel_event: true,
  audio_active_packets: 10,
  audio_level_average: 60,
});
