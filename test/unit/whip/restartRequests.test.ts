import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../../edge/whip/httpErrors.js';
import { restartRequestsOf } from '../../../edge/whip/restartRequests.js';
import type { FoundResource } from '../../../edge/whip/resource.js';

const resource = (plugin: string | undefined, pluginSpecific?: Record<string, unknown>): FoundResource => ({
  sessionId: 1,
  handleId: 2,
  secret: 's',
  clientOffered: true,
  plugin,
  pluginSpecific,
});

const status = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof HttpProblem ? err.status : err;
  }
  return undefined;
};

describe('the plugin requests of an ICE restart', () => {
  it('VideoRoom: configure with the offer, or configure restart for our offer', () => {
    expect(restartRequestsOf(resource('janus.plugin.videoroom'))).toEqual({
      withClientOffer: { request: 'configure' },
      relayOffer: { request: 'configure', restart: true },
    });
  });

  it('Streaming: watch of the mountpoint watched, with restart', () => {
    const watch = { request: 'watch', id: 42, restart: true };
    expect(restartRequestsOf(resource('janus.plugin.streaming', { mountpoint_id: 42 }))).toEqual({
      withClientOffer: watch,
      relayOffer: watch,
    });
    expect(status(() => restartRequestsOf(resource('janus.plugin.streaming', { state: 'idle' })))).toBe(409);
  });

  it('another plugin has none (422)', () => {
    expect(status(() => restartRequestsOf(resource('janus.plugin.echotest')))).toBe(422);
    expect(status(() => restartRequestsOf(resource(undefined)))).toBe(422);
  });
});
