/**
 * Differential test of the Janus core, Admin, EchoTest and VideoRoom APIs: every script (cases.ts,
 * adminCases.ts, echoCases.ts, videoroomCases.ts, videoroomMediaCases.ts) runs against the reference
 * Janus (Debian janus 1.1.2) and against our stack, and the *shapes* must agree (recursive key sets
 * and value types; the `janus` value, error codes and plugin names literally; never ids, reason texts
 * or server_info values), as must the order of each step's messages (reply vs events, per
 * connection). Offers and answers come from real werift PeerConnections. Each step's documented
 * outcome (`expect`) is also checked on both, so a reference quirk shows up as such rather than as
 * "our" bug. Every accepted difference is listed in deliberate.ts, with its reason.
 *
 * Set DIFF_DUMP=1 to print both raw transcripts of every case.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { referenceJanusFor } from '../support/janusReference.js';
import { cases } from './cases.js';
import { videoroomCases } from './videoroomCases.js';
import { adminCases } from './adminCases.js';
import { echoCases } from './echoCases.js';
import { videoroomMediaCases } from './videoroomMediaCases.js';
import { expectAsReference, ServerPair } from './serverPair.js';

// Skipped when the reference Janus (Debian package `janus`) or ../shared/tools/janus-reference.sh is
// missing: without the reference there is nothing to compare against.
const available = referenceJanusFor('differential core + Admin API');

describe.skipIf(!available)('differential: Janus core + Admin API vs reference Janus 1.1.2', () => {
  const servers = new ServerPair();
  let sink: Server | undefined;

  beforeAll(async () => {
    // Both sides get an event handler backend, so that `custom_event` is meaningful on both.
    sink = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', () => r()));
    const eventsUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/events`;
    await servers.start({ LOG_LEVEL: 'warn', EVENTS_URL: eventsUrl }, eventsUrl);
  });

  afterAll(async () => {
    try {
      await servers.stop();
    } finally {
      sink?.closeAllConnections();
      await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
    }
  });

  for (const c of [...cases, ...adminCases, ...echoCases, ...videoroomCases, ...videoroomMediaCases]) {
    it(c.name, async () => {
      expectAsReference(c, ...(await servers.run(c)));
    });
  }
});
