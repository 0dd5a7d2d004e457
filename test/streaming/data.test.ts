import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { createRtp, dataMessages, StreamingHandle, watch } from './support/viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Data mountpoints (Janus `type: data`, `datatype`, `buffermsg`): each UDP datagram into the data
 * port is one DataChannel message to every viewer, as text or binary; with `buffermsg` a viewer that
 * joins gets the last message at once.
 */
describe('Streaming: data mountpoints', () => {
  let stack: Stack;
  let admin: StreamingHandle;
  const udp = createSocket('udp4');
  beforeAll(async () => {
    stack = await startStack();
    admin = await StreamingHandle.connect(stack);
  });
  afterAll(async () => {
    udp.close();
    await admin?.close();
    await stack?.stop();
  });

  const create = async (id: number, media: unknown[], extra: Record<string, unknown> = {}) =>
    (await createRtp(admin, id, media, extra)).ports;

  it(
    'text with buffermsg: viewers get every datagram, a viewer that joins gets the last one',
    { timeout: 60_000 },
    async () => {
      const id = 7_300_000 + Math.floor(Math.random() * 1e5);
      const ports = await create(id, [
        { type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8' },
        { type: 'data', mid: 'd', port: 0, datatype: 'text', buffermsg: true },
      ]);
      expect(ports.map((p) => [p.type, p.mid])).toEqual([
        ['video', 'v'],
        ['data', 'd'],
      ]);
      const port = ports[1]!.port;
      const info = await admin.sync({ request: 'info', id });
      expect(info.info.media[1]).toMatchObject({ mindex: 1, type: 'data', mid: 'd', label: 'data' });
      expect(info.info.media[1].codec).toBeUndefined();
      udp.send('first', port, '127.0.0.1');
      await sleep(200);
      let a: Array<string | Buffer> = [];
      const viewerA = await watch(stack, id, undefined, (c) => (a = dataMessages(c)));
      await waitFor(() => a.length >= 1, 5000, 'the kept message at the first viewer');
      udp.send('second', port, '127.0.0.1');
      await waitFor(() => a.length >= 2, 5000, 'the live message');
      expect(a).toEqual(['first', 'second']);
      let b: Array<string | Buffer> = [];
      const viewerB = await watch(stack, id, undefined, (c) => (b = dataMessages(c)));
      await waitFor(() => b.length >= 1, 5000, 'the kept message at the second viewer');
      await sleep(500);
      expect(b).toEqual(['second']);
      expect(a).toEqual(['first', 'second']);
      // offer_data: false leaves the data stream out
      const noData = await StreamingHandle.connect(stack);
      const offer = await noData.ask({ request: 'watch', id, offer_data: false });
      expect(offer.jsep.sdp).not.toMatch(/^m=application/m);
      await noData.close();
      for (const v of [viewerA, viewerB]) {
        await v.client.close();
        await v.h.close();
      }
      expect((await admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
    },
  );

  it('binary without buffermsg: bytes as they came, nothing kept for a late viewer', { timeout: 60_000 }, async () => {
    const id = 7_310_000 + Math.floor(Math.random() * 1e5);
    const ports = await create(id, [{ type: 'data', mid: 'd', port: 0, datatype: 'binary' }]);
    const port = ports[0]!.port;
    udp.send(Buffer.from([9, 9, 9]), port, '127.0.0.1');
    await sleep(200);
    let got: Array<string | Buffer> = [];
    const v = await watch(stack, id, undefined, (c) => (got = dataMessages(c)));
    await sleep(700);
    expect(got).toEqual([]);
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    udp.send(bytes, port, '127.0.0.1');
    await waitFor(() => got.length >= 1, 5000, 'the binary message');
    expect(Buffer.isBuffer(got[0])).toBe(true);
    expect(Buffer.compare(got[0] as Buffer, bytes)).toBe(0);
    await v.client.close();
    await v.h.close();
    expect((await admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
  });

  // each with its own datatype and buffermsg
  it('several data streams on their own ports reach a viewer on its one DataChannel', { timeout: 60_000 }, async () => {
    const id = 7_320_000 + Math.floor(Math.random() * 1e5);
    const ports = await create(id, [
      { type: 'data', mid: 'd1', port: 0 },
      { type: 'data', mid: 'd2', port: 0, datatype: 'binary', buffermsg: true },
    ]);
    expect(ports.map((p) => [p.type, p.mid])).toEqual([
      ['data', 'd1'],
      ['data', 'd2'],
    ]);
    expect(ports[0]!.port).not.toBe(ports[1]!.port);
    const info = await admin.sync({ request: 'info', id });
    expect(info.info.media).toMatchObject([
      { mindex: 0, type: 'data', mid: 'd1', label: 'data' },
      { mindex: 1, type: 'data', mid: 'd2', label: 'data' },
    ]);
    udp.send(Buffer.from([7, 7]), ports[1]!.port, '127.0.0.1');
    await sleep(200);
    let got: Array<string | Buffer> = [];
    const v = await watch(stack, id, undefined, (c) => (got = dataMessages(c)));
    // the second stream's kept message, then one of each, each as its stream's datatype
    await waitFor(() => got.length >= 1, 5000, 'the kept binary message');
    udp.send('text of d1', ports[0]!.port, '127.0.0.1');
    await waitFor(() => got.length >= 2, 5000, 'the text message');
    udp.send(Buffer.from([1, 2, 3]), ports[1]!.port, '127.0.0.1');
    await waitFor(() => got.length >= 3, 5000, 'the binary message');
    expect(got.map((m) => (Buffer.isBuffer(m) ? [...m] : m))).toEqual([[7, 7], 'text of d1', [1, 2, 3]]);
    await v.client.close();
    await v.h.close();
    expect((await admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
  });

  it(
    'datatype and buffermsg at the top level apply to data entries without their own, as Janus reads them',
    {
      timeout: 60_000,
    },
    async () => {
      const id = 7_330_000 + Math.floor(Math.random() * 1e5);
      const ports = await create(id, [{ type: 'data', mid: 'd', port: 0 }], { datatype: 'binary', buffermsg: true });
      udp.send(Buffer.from([4, 2]), ports[0]!.port, '127.0.0.1');
      await sleep(200);
      let got: Array<string | Buffer> = [];
      const v = await watch(stack, id, undefined, (c) => (got = dataMessages(c)));
      await waitFor(() => got.length >= 1, 5000, 'the kept message');
      expect(Buffer.isBuffer(got[0])).toBe(true);
      await v.client.close();
      await v.h.close();
      expect((await admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
    },
  );

  it('a bad datatype is refused, in the entry or at the top level', { timeout: 30_000 }, async () => {
    const code = async (media: unknown[], extra: Record<string, unknown> = {}) =>
      (await admin.sync({ request: 'create', type: 'rtp', id: 7_399_999, media, ...extra })).error_code;
    expect(await code([{ type: 'data', mid: 'd', port: 0, datatype: 'json' }])).toBe(454);
    expect(await code([{ type: 'data', mid: 'd', port: 0 }], { datatype: 'json' })).toBe(454);
    expect(await code([{ type: 'data', mid: 'd', port: 0, buffermsg: 'yes' }])).toBe(454);
    expect(await code([{ type: 'data', mid: 'd', port: 0 }], { buffermsg: 'yes' })).toBe(454);
    expect((await admin.sync({ request: 'info', id: 7_399_999 })).error_code).toBe(455);
  });
});
