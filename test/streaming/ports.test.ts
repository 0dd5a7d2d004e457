import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { resources } from './support/census.js';
import { avMedia, StreamingHandle } from './support/viewer.js';

/**
 * Mountpoint ports come from the relay's media port range (here 4 ports): when it is exhausted
 * `create` answers 499 with nothing half-open and nothing created, and a destroy gives the ports back.
 */
describe('Streaming mountpoints and the media port range', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RELAY_REMOTE_PORTS: '4' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a create that needs more ports than are left answers 499 and changes nothing', { timeout: 60_000 }, async () => {
    const admin = await StreamingHandle.connect(stack);
    const region = stack.relays[0]!.region;
    const census = async () => {
      const r = await resources(stack, region);
      return { sockets: r.streaming.sockets, portsInUse: r.remotePortsInUse, mountpoints: r.streaming.mountpoints };
    };
    const create = (id: number, media: unknown[]) => admin.sync({ request: 'create', type: 'rtp', id, media });
    expect((await create(1, avMedia)).streaming).toBe('created');
    expect(await census()).toEqual({ sockets: 2, portsInUse: 2, mountpoints: 1 });
    // three sockets wanted (RTP, RTP + RTCP), two left: refused, and the two it opened are closed again
    const withRtcp = [avMedia[0], { ...avMedia[1], rtcpport: 0 }];
    const refused = await create(2, withRtcp);
    expect(refused).toMatchObject({ streaming: 'event', error_code: 499 });
    expect(refused.error).toMatch(/Could not open UDP socket/);
    expect(await census()).toEqual({ sockets: 2, portsInUse: 2, mountpoints: 1 });
    expect((await admin.sync({ request: 'info', id: 2 })).error_code).toBe(455);
    expect((await create(3, avMedia)).streaming).toBe('created');
    expect((await create(4, [avMedia[0]])).error_code).toBe(499);
    expect(((await admin.sync({ request: 'list' })).list as Array<{ id: number }>).map((m) => m.id).sort()).toEqual([
      1, 3,
    ]);
    await admin.sync({ request: 'destroy', id: 1 });
    expect((await create(4, [avMedia[0]])).streaming).toBe('created');
    for (const id of [3, 4]) await admin.sync({ request: 'destroy', id });
    expect(await census()).toEqual({ sockets: 0, portsInUse: 0, mountpoints: 0 });
    await admin.close();
  });
});
