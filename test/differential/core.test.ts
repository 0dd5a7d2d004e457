/**
 * Differential test of the Janus core and Admin APIs: every script in cases.ts runs against the
 * reference Janus (Debian janus 1.1.2) and against our edge, and the reply *shapes* must agree
 * (recursive key sets and value types; the `janus` value, error codes and plugin names literally;
 * never ids, reason texts or server_info values). Each step's documented outcome (`expect`) is also
 * checked on both, so a reference quirk shows up as such rather than as "our" bug.
 *
 * Set DIFF_DUMP=1 to print both raw transcripts of every case.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceJanusAvailable, startReferenceJanus, type ReferenceJanus } from '../support/janusReference.js';
import { hostAddress } from '../support/referenceNet.js';
import { startStack, type Stack } from '../support/stack.js';
import { cases, type Case } from './cases.js';
import { videoroomCases } from './videoroomCases.js';
import { adminCases } from './adminCases.js';
import { echoCases } from './echoCases.js';
import { videoroomMediaCases } from './videoroomMediaCases.js';
import { allowedFor } from './deliberate.js';
import { observed, runScript, stepShape, type Recorded, type Target } from './harness.js';

const ADMIN_SECRET = 'janusoverlord'; // /etc/janus/janus.jcfg and our default

/** Deletes a dotted path; `*` stands for every element of an array (shapes keep arrays under `[]`). */
function dropPath(v: unknown, path: string[]): void {
  if (!v || typeof v !== 'object' || path.length === 0) return;
  const [head, ...rest] = path;
  if (head === '*') {
    const list = Array.isArray(v) ? v : (v as { '[]'?: unknown[] })['[]'];
    for (const x of list ?? []) dropPath(x, rest);
    return;
  }
  if (rest.length === 0) delete (v as Record<string, unknown>)[head!];
  else dropPath((v as Record<string, unknown>)[head!], rest);
}

/** `rec` without the messages an allowed difference says only one side sends. */
function without(rec: Recorded, drop: ((m: Record<string, unknown>) => boolean)[]): Recorded {
  if (drop.length === 0) return rec;
  const keep = (m: unknown) => !drop.some((d) => d(m as Record<string, unknown>));
  return {
    ...rec,
    events: rec.events?.filter(keep),
    extra: rec.extra?.filter(keep),
    on: rec.on && Object.fromEntries(Object.entries(rec.on).map(([c, l]) => [c, l.filter(keep)])),
    order: rec.order?.filter((o) => keep(o.message)),
  };
}

function comparable(caseName: string, steps: Case['steps'], transcript: Recorded[], side: 'reference' | 'ours') {
  return transcript.map((recorded, i) => {
    const allowed = allowedFor(caseName, recorded.step);
    const rec = without(
      recorded,
      allowed.flatMap((a) => (side === 'ours' ? a.oursOnly : a.referenceOnly) ?? []),
    );
    const view: Record<string, unknown> = {
      step: rec.step,
      ...stepShape(rec, steps[i]!, { replyFirst: side === 'reference' }),
    };
    for (const a of allowed) {
      if (!a.paths && !a.oursOnly && !a.referenceOnly) return { step: rec.step, allowed: a.reason };
      for (const p of a.paths ?? []) dropPath(view, p.split('.'));
    }
    return view;
  });
}

/** Steps whose documented outcome (`expect`) the recorded reply does not meet. */
function expectationFailures(
  caseName: string,
  steps: Case['steps'],
  transcript: Recorded[],
  side: 'reference' | 'ours',
): string[] {
  const out: string[] = [];
  transcript.forEach((rec, i) => {
    const want = steps[i]!.expect;
    if (!want) return;
    if (side === 'reference' && allowedFor(caseName, rec.step).some((a) => a.referenceExpectation)) return;
    const got = observed(rec);
    for (const k of ['janus', 'code', 'status'] as const) {
      if (want[k] !== undefined && got[k] !== want[k])
        out.push(`${rec.step}: ${k} ${String(got[k])}, documented ${String(want[k])}`);
    }
  });
  return out;
}

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
