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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceJanusAvailable, startReferenceJanus, type ReferenceJanus } from '../support/janusReference.js';
import { hostAddress } from '../support/referenceNet.js';
import { startStack, type Stack } from '../support/stack.js';
import { cases } from './cases.js';
import { videoroomCases } from './videoroomCases.js';
import { adminCases } from './adminCases.js';
import { echoCases } from './echoCases.js';
import { videoroomMediaCases } from './videoroomMediaCases.js';
import { comparable, expectationFailures } from './compare.js';
import { runScript, type Target } from './harness.js';

const ADMIN_SECRET = 'janusoverlord'; // /etc/janus/janus.jcfg and our default

// Skipped when the reference Janus (Debian package `janus`) or ../shared/tools/janus-reference.sh is
// missing: without the reference there is nothing to compare against.
const available = referenceJanusAvailable();
if (!available)
  console.warn(
    'differential tests skipped: reference Janus not installed (apt-get install janus) or janus-reference.sh missing',
  );

describe.skipIf(!available)('differential: Janus core + Admin API vs reference Janus 1.1.2', () => {
  let ref: ReferenceJanus | undefined;
  let stack: Stack | undefined;
  let sink: Server | undefined;
  let refTarget: Target;
  let ourTarget: Target;

  beforeAll(async () => {
    // Both sides get an event handler backend, so that `custom_event` is meaningful on both.
    sink = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', () => r()));
    const eventsUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/events`;
    // allSettled, so that whichever server did start is kept (and stopped by afterAll) when the other fails.
    const [r, s] = await Promise.allSettled([
      startReferenceJanus(eventsUrl),
      startStack({ LOG_LEVEL: 'warn', EVENTS_URL: eventsUrl }),
    ]);
    if (r.status === 'fulfilled') ref = r.value;
    if (s.status === 'fulfilled') stack = s.value;
    if (r.status === 'rejected') throw r.reason;
    if (s.status === 'rejected') throw s.reason;
    if (!ref || !stack) throw new Error('reference Janus did not start');
    refTarget = {
      name: 'reference',
      httpUrl: ref.httpUrl,
      wsUrl: ref.wsUrl,
      adminUrl: ref.adminUrl,
      adminSecret: ADMIN_SECRET,
      iceAddress: hostAddress(),
    };
    ourTarget = {
      name: 'ours',
      httpUrl: stack.httpUrl,
      wsUrl: stack.wsUrl,
      adminUrl: stack.adminUrl,
      adminSecret: ADMIN_SECRET,
      iceAddress: '127.0.0.1',
    };
  });

  afterAll(async () => {
    try {
      ref?.stop();
    } finally {
      await stack?.stop();
      sink?.closeAllConnections();
      await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
    }
  });

  for (const c of [...cases, ...adminCases, ...echoCases, ...videoroomCases, ...videoroomMediaCases]) {
    it(c.name, async () => {
      const [r, o] = await Promise.all([runScript(refTarget, c.steps), runScript(ourTarget, c.steps)]);
      if (process.env.DIFF_DUMP) {
        console.log(
          `\n=== ${c.name}\n--- reference\n${JSON.stringify(r.transcript, null, 1)}\n--- ours\n${JSON.stringify(o.transcript, null, 1)}`,
        );
      }
      // The reference must meet the documented outcomes (else the script, not our edge, is wrong).
      expect(
        expectationFailures(c.name, c.steps, r.transcript, 'reference'),
        'reference vs documented behaviour',
      ).toEqual([]);
      expect(comparable(c.name, c.steps, o.transcript, 'ours'), 'our reply shapes vs the reference').toEqual(
        comparable(c.name, c.steps, r.transcript, 'reference'),
      );
      expect(expectationFailures(c.name, c.steps, o.transcript, 'ours'), 'ours vs documented behaviour').toEqual([]);
    });
  }
});
