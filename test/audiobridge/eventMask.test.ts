/**
 * An admin's event-handler tweak reaches AudioBridge room objects, through the real edge in workerd:
 * a room's events (type 64) stop reaching the webhook once `events` leaves plugins out, and come back
 * when they are in again. A room reads the settings the tweak stored in the core, at most
 * DELIVERY_SETTINGS_TTL_MS after the change (in production it runs in an isolate of its own, where
 * the settings the shards are pushed never arrive). Locally every object shares one isolate, so this
 * also held before rooms read the core; test/unit/audiobridge/eventDelivery.test.ts is the one that
 * tells a room following the core from one following its isolate.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_EVENTS, applyEventDeliverySettings, type EventDeliverySettings } from '../../edge/events/eventMask.js';
import { EventSink } from '../../edge/events/eventSink.js';
import { Logger } from '../../edge/log.js';
import { DELIVERY_SETTINGS_TTL_MS } from '../../edge/plugins/audiobridge/eventDelivery.js';
import { EventType } from '../../shared/janus/events.js';
import { JanusHttp, startSignallingStack, Webhook } from '../blackbox/support/janus.js';
import type { Stack } from '../support/stack.js';

const AB = 'janus.plugin.audiobridge';
const ROOM = 6_400_001;
const evh = 'janus.eventhandler.sampleevh';

let stack: Stack;
let hook: Webhook;
let api: JanusHttp;

beforeAll(async () => {
  hook = await new Webhook().start();
  stack = await startSignallingStack({ EVENTS_URL: hook.url, SHARD_COUNT: '2' });
  api = new JanusHttp(stack.httpUrl, stack.adminUrl);
});

afterAll(async () => {
  await stack?.stop();
  await hook?.stop();
});

const roomRequest = (request: Record<string, unknown>) =>
  api.admin({ janus: 'message_plugin', plugin: AB, request: { room: ROOM, ...request } });

const roomEvents = (event: string) =>
  hook.events.filter(
    (e) =>
      e.type === EventType.PLUGIN &&
      (e.event as { plugin?: string }).plugin === AB &&
      (e.event as { data?: { event?: string; room?: number } }).data?.event === event &&
      (e.event as { data?: { room?: number } }).data?.room === ROOM,
  );

const tweak = async (events: string) => {
  const r = await api.admin({ janus: 'query_eventhandler', handler: evh, request: { request: 'tweak', events } });
  expect(r.body).toMatchObject({ janus: 'success', response: { result: 200 } });
  // what the room read before the tweak stands for at most the TTL
  await new Promise((r) => setTimeout(r, DELIVERY_SETTINGS_TTL_MS + 100));
};

const settle = () => new Promise((r) => setTimeout(r, 500));

describe('AudioBridge rooms follow the event handler mask an admin sets', () => {
  it('a room event is not delivered while plugins are masked out, and is again once they are in', async () => {
    expect((await roomRequest({ request: 'create' })).body).toMatchObject({ response: { audiobridge: 'created' } });
    await hook.waitFor((e) => roomEvents('created').includes(e), 10_000, 'created');

    await tweak('sessions,handles');
    expect((await roomRequest({ request: 'mute_room' })).body).toMatchObject({ response: { audiobridge: 'success' } });
    await settle();
    expect(roomEvents('mute_room')).toEqual([]);

    await tweak('all');
    await roomRequest({ request: 'unmute_room' });
    await hook.waitFor((e) => roomEvents('unmute_room').includes(e), 10_000, 'unmute_room');
    expect(roomEvents('mute_room')).toEqual([]);
    await roomRequest({ request: 'destroy' });
    await hook.waitFor((e) => roomEvents('destroyed').includes(e), 10_000, 'destroyed');
  });
});

const ALL = { mask: ALL_EVENTS, grouping: true };
const NO_PLUGINS = { mask: ALL_EVENTS & ~EventType.PLUGIN, grouping: true };

describe("a room's event sink, given the delivery in force", () => {
  let server: Server;
  let url = '';
  const posted: Array<{ type: number }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        posted.push(...(JSON.parse(body) as Array<{ type: number }>));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    applyEventDeliverySettings(undefined);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("follows it rather than the isolate's settings", async () => {
    // this isolate was told "everything" (as the shards of a local stack tell it)…
    applyEventDeliverySettings(ALL);
    // …while the room's settings, read from the core, leave plugin events out
    let inForce: EventDeliverySettings = NO_PLUGINS;
    const sink = new EventSink(url, 'test', new Logger('error', 'test'), () => inForce);
    sink.emit(EventType.PLUGIN, { plugin: 'janus.plugin.audiobridge', data: { event: 'created' } });
    sink.emit(EventType.CORE, { status: 'x' });
    await new Promise((r) => setTimeout(r, 200));
    expect(posted.map((e) => e.type)).toEqual([EventType.CORE]);
    inForce = ALL;
    sink.emit(EventType.PLUGIN, { plugin: 'janus.plugin.audiobridge', data: { event: 'edited' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(posted.map((e) => e.type)).toEqual([EventType.CORE, EventType.PLUGIN]);
  });
});
