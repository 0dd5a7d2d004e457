import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { resources, until } from './support/census.js';
import { avMedia, StreamingHandle, watch } from './support/viewer.js';

/**
 * Losing relays: the far relay of a cascade takes its viewers (hung up) and the cascade with it, and
 * the home relay's forwarders close; the home relay takes the mountpoint (its ports are gone): `info`
 * answers 455 and the viewers elsewhere are stopped.
 */
describe('Streaming when relays are lost', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    'a lost far relay ends its viewers and cascade; a lost home relay ends the mountpoint',
    { timeout: 90_000 },
    async () => {
      const admin = await StreamingHandle.connect(stack, 'eu');
      const id = 6_000_000 + Math.floor(Math.random() * 1e6);
      expect((await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia })).streaming).toBe('created');
      const far = await watch(stack, id, 'us');
      const near = await watch(stack, id, 'eu');
      expect((await resources(stack, 'eu')).forwarderSockets).toBe(2);

      process.kill(stack.relays.find((r) => r.region === 'us')!.pid, 'SIGKILL');
      await far.h.janus.waitEvent(
        (m) => m.janus === 'hangup' && m.sender === far.h.handleId,
        15_000,
        'far viewer hangup',
      );
      await until(
        async () => (await resources(stack, 'eu')).forwarderSockets === 0,
        10_000,
        'cascade forwarders closed',
      );
      expect((await admin.sync({ request: 'info', id })).info.viewers).toBe(1);

      process.kill(stack.relays.find((r) => r.region === 'eu')!.pid, 'SIGKILL');
      await near.h.janus.waitEvent(
        (m) => m.janus === 'hangup' && m.sender === near.h.handleId,
        15_000,
        'near viewer hangup',
      );
      await until(
        async () => (await admin.sync({ request: 'info', id })).error_code === 455,
        15_000,
        'mountpoint removed',
      );
      for (const v of [far, near]) {
        await v.client.close();
        await v.h.close();
      }
      await admin.close();
    },
  );
});
