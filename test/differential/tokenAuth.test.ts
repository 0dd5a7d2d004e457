/**
 * Differential test of stored-token authentication: the scripts of tokenCases.ts against a second
 * pair, the reference Janus with `token_auth = true` and our stack with TOKEN_AUTH, compared as in
 * core.test.ts (shapes, order, documented outcomes). Set DIFF_DUMP=1 to print both transcripts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceJanusAvailable, startReferenceJanus, type ReferenceJanus } from '../support/janusReference.js';
import { hostAddress } from '../support/referenceNet.js';
import { startStack, type Stack } from '../support/stack.js';
import { comparable, expectationFailures } from './compare.js';
import { runScript, type Target } from './harness.js';
import { tokenCases } from './tokenCases.js';

const ADMIN_SECRET = 'janusoverlord'; // /etc/janus/janus.jcfg and our default

describe.skipIf(!referenceJanusAvailable())('differential: token auth vs reference Janus 1.1.2', () => {
  let ref: ReferenceJanus | undefined;
  let stack: Stack | undefined;
  let refTarget: Target;
  let ourTarget: Target;

  beforeAll(async () => {
    const [r, s] = await Promise.allSettled([
      startReferenceJanus(undefined, { tokenAuth: true }),
      startStack({ LOG_LEVEL: 'warn', TOKEN_AUTH: 'true' }),
    ]);
    if (r.status === 'fulfilled') ref = r.value;
    if (s.status === 'fulfilled') stack = s.value;
    if (r.status === 'rejected') throw r.reason;
    if (s.status === 'rejected') throw s.reason;
    if (!ref || !stack) throw new Error('reference Janus did not start');
    refTarget = { name: 'reference', ...pick(ref), adminSecret: ADMIN_SECRET, iceAddress: hostAddress() };
    ourTarget = { name: 'ours', ...pick(stack), adminSecret: ADMIN_SECRET, iceAddress: '127.0.0.1' };
  });

  afterAll(async () => {
    try {
      ref?.stop();
    } finally {
      await stack?.stop();
    }
  });

  for (const c of tokenCases) {
    it(c.name, async () => {
      const [r, o] = await Promise.all([runScript(refTarget, c.steps), runScript(ourTarget, c.steps)]);
      if (process.env.DIFF_DUMP) {
        console.log(
          `\n=== ${c.name}\n--- reference\n${JSON.stringify(r.transcript, null, 1)}\n--- ours\n${JSON.stringify(o.transcript, null, 1)}`,
        );
      }
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

function pick(s: { httpUrl: string; wsUrl: string; adminUrl: string }) {
  return { httpUrl: s.httpUrl, wsUrl: s.wsUrl, adminUrl: s.adminUrl };
}
