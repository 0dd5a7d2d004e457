import { env as testEnv, abortAllDurableObjects, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { MountpointState } from '../../edge/plugins/streaming/state.js';
import type { Env } from '../../edge/env.js';
import { Stubs } from '../../edge/stubs.js';
import { attach, createSession, janus } from './api.js';

const env = testEnv as unknown as Env;
const stubs = new Stubs(env, 16);

/** A mountpoint as the Streaming object stores it (no relay runs here: its ingest is not needed to read it back). */
const stored: MountpointState = {
  id: 4242,
  name: 'mp-4242',
  description: 'kept',
  is_private: false,
  secret: 's',
  enabled: true,
  streams: [{ mindex: 0, type: 'video', mid: 'v', label: 'video', pt: 100, codec: 'vp8', port: 10002, bufferkf: true }],
  home: { relayId: 'gone', linkId: env.RELAY_LINK.newUniqueId().toString() },
  host: '192.0.2.1',
  key: { sessionId: 1, handleId: 2 },
  viewers: [],
  cascades: [],
};

/** The Streaming Durable Object in workerd: its mountpoints are read back from storage after a forced eviction. */
describe('Streaming mountpoints across forced eviction', () => {
  it('a mountpoint in storage is listed, described and refused by id after every object was evicted', async () => {
    await runInDurableObject(stubs.streaming(), async (_instance, state) => {
      await state.storage.put(`mp:${stored.id}`, stored);
    });
    await abortAllDurableObjects();
    const sid = await createSession();
    const hid = await attach(sid, 'janus.plugin.streaming');
    const ask = async (body: Record<string, unknown>) =>
      (await janus(`/janus/${sid}/${hid}`, { janus: 'message', body })).plugindata.data;
    expect((await ask({ request: 'list' })).list).toEqual([
      {
        id: 4242,
        type: 'live',
        description: 'kept',
        enabled: true,
        media: [{ mid: 'v', type: 'video', label: 'video' }],
      },
    ]);
    expect((await ask({ request: 'info', id: 4242, secret: 's' })).info).toMatchObject({
      id: 4242,
      name: 'mp-4242',
      secret: 's',
      viewers: 0,
    });
    expect(await ask({ request: 'create', type: 'rtp', id: 4242, media: stored.streams })).toMatchObject({
      error_code: 456,
    });
    expect(await ask({ request: 'destroy', id: 4242, secret: 'x' })).toMatchObject({ error_code: 457 });
    await janus(`/janus/${sid}`, { janus: 'destroy' });
  });
});
