/** AudioBridge participants for stack tests: a Janus WS session with one audiobridge handle. */
import { PluginHandle } from '../../support/pluginHandle.js';
import type { Stack } from '../../support/stack.js';

export const AB = 'janus.plugin.audiobridge';

export class AbParticipant extends PluginHandle {
  /** `region` places its media on a relay of that region (`?region=`). */
  static async connect(stack: Stack, region?: string): Promise<AbParticipant> {
    return new AbParticipant(...(await PluginHandle.open(stack, AB, region)));
  }

  /** Admin `handle_info` of this handle: its `info`. */
  async handleInfo(stack: Stack): Promise<Record<string, any>> {
    const res = await fetch(stack.adminUrl, {
      method: 'POST',
      body: JSON.stringify({
        janus: 'handle_info',
        transaction: 'hi',
        admin_secret: 'janusoverlord',
        session_id: this.sessionId,
        handle_id: this.handleId,
      }),
    });
    return ((await res.json()) as { info: Record<string, any> }).info;
  }

  /** `plugin_specific` of admin `handle_info`: the room, the id and the relay of the media. */
  async pluginInfo(stack: Stack): Promise<Record<string, any>> {
    return (await this.handleInfo(stack)).plugin_specific as Record<string, any>;
  }

  async hangup(): Promise<void> {
    await this.janus.request({ janus: 'hangup', session_id: this.sessionId, handle_id: this.handleId });
  }
}
