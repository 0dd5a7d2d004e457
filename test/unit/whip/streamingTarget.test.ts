import { describe, expect, it } from 'vitest';
import { pathMountpointId, streamingMountpoint } from '../../../edge/whip/streamingTarget.js';

describe('WHEP target of a Streaming mountpoint', () => {
  it('takes positive integer ids from the path only', () => {
    expect(pathMountpointId('42')).toBe(42);
    for (const bad of ['0', '-1', '1.5', 'abc', '', '99999999999999999']) expect(pathMountpointId(bad)).toBeUndefined();
  });

  it('watches the mountpoint with the bearer token as its pin', () => {
    const t = streamingMountpoint(7);
    expect(t.plugin).toBe('janus.plugin.streaming');
    expect(t.request(undefined)).toEqual({ request: 'watch', id: 7 });
    expect(t.request('sesame')).toEqual({ request: 'watch', id: 7, pin: 'sesame' });
  });

  it("reads the plugin's codes as the Streaming plugin means them, the rest as the core's", () => {
    const status = (code: number, reason = 'x', hadToken = false) =>
      streamingMountpoint(1).pluginProblem!(code, reason, hadToken).status;
    expect(status(455)).toBe(404); // no such mountpoint (the core's 455 is an unknown request)
    expect(status(457)).toBe(401);
    expect(status(457, 'Unauthorized (wrong pin)', true)).toBe(403);
    expect(status(453, 'Missing mandatory element (pin)')).toBe(401);
    expect(status(454)).toBe(422);
    expect(status(460)).toBe(409);
    expect(status(470)).toBe(503);
    expect(status(465)).toBe(400); // the core's invalid SDP, passed on by the plugin
    expect(status(490)).toBe(503); // no relay answered
  });
});
