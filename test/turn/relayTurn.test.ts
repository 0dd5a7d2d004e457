import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from '../videoroom/support/participant.js';
import { coturnAvailable, coturnMissing, startCoturn, type Coturn } from './support/coturn.js';
import { candidateTypes, expectEcho, negotiateEcho, selectedLocalType } from './support/turnEcho.js';

if (!coturnAvailable) console.warn(`relay TURN client test skipped: ${coturnMissing}`);

/**
 * A relay that must use TURN (RELAY_FORCE_TURN, credentials it signs with coturn's REST secret)
 * offers only a relay candidate on coturn; a plain client with host candidates reaches it through
 * coturn and gets its media echoed.
 */
describe.skipIf(!coturnAvailable)('a relay with forced TURN through coturn', () => {
  let coturn: Coturn;
  let stack: Stack;
  beforeAll(async () => {
    coturn = await startCoturn();
    stack = await startStack({
      RELAY_TURN_URL: coturn.url,
      RELAY_TURN_REST_SECRET: coturn.secret,
      RELAY_FORCE_TURN: 'true',
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await coturn?.stop();
  });

  it('answers with a relay candidate only and echoes media through it', async () => {
    const before = coturn.allocations();
    const client = new EchoClient();
    const call = await negotiateEcho(stack, client);
    try {
      expect(candidateTypes(call.offer)).toEqual(['host']);
      expect(candidateTypes(call.answer)).toEqual(['relay']);
      expect(call.answer).toMatch(new RegExp(`^a=candidate:.* 127\\.0\\.0\\.1 \\d+ typ relay raddr`, 'm'));
      expect(coturn.allocations()).toBeGreaterThan(before);
      expect(coturn.log()).toContain(`:${stack.relays[0]!.id}>`);
      await client.connected(20_000);
      // The client's own pair is host → the relay's TURN address.
      expect(selectedLocalType(client)).toBe('host');
      await expectEcho(client, call.keys);
    } finally {
      await call.close();
    }
  }, 60_000);

  it("forwards a VideoRoom publisher to a subscriber, both through the relay's TURN allocations", async () => {
    const admin = await Participant.connect(stack);
    const room = 7_000_000 + Math.floor(Math.random() * 1e6);
    await admin.ask({ request: 'create', room, publishers: 2 });
    const allocationsBefore = coturn.allocations();
    const pub = await publish(stack, room, 1);
    const sub = await subscribe(stack, room, [1]);
    try {
      expect(coturn.allocations()).toBeGreaterThanOrEqual(allocationsBefore + 2);
      pub.client.startSending(pub.audio, 20);
      pub.client.startSending(pub.video, 20);
      await waitFor(() => sub.client.received.video > 20 && sub.client.received.audio > 20, 15_000, 'forwarded media');
    } finally {
      pub.client.stopSending(pub.audio);
      pub.client.stopSending(pub.video);
      await pub.client.close();
      await sub.client.close();
    }
  }, 60_000);
});
