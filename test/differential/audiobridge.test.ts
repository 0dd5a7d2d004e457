/**
 * Differential test of the AudioBridge (janus.plugin.audiobridge): the scripts of audiobridgeCases.ts
 * run against the reference Janus 1.1.2 and our stack, and the shapes, codes and message order must
 * agree (see core.test.ts for how steps are compared; accepted differences are in deliberate.ts).
 * Set DIFF_DUMP=1 to print both transcripts of every case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceJanusAvailable, startReferenceJanus, type ReferenceJanus } from '../support/janusReference.js';
import { hostAddress } from '../support/referenceNet.js';
import { startStack, type Stack } from '../support/stack.js';
import { audiobridgeCases, refused } from './audiobridgeCases.js';
import { comparable, expectationFailures } from './compare.js';
import { runScript, type Target } from './harness.js';

const ADMIN_SECRET = 'janusoverlord';
const available = referenceJanusAvailable();

describe.skipIf(!available)('differential: AudioBridge vs reference Janus 1.1.2', () => {
  let ref: ReferenceJanus | undefined;
  let stack: Stack | undefined;
  let refTarget: Target;
  let ourTarget: Target;

  beforeAll(async () => {
    const [r, s] = await Promise.allSettled([startReferenceJanus(), startStack({ LOG_LEVEL: 'warn' })]);
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
    }
  });

  for (const c of audiobridgeCases) {
    it(c.name, async () => {
      const [r, o] = await Promise.all([runScript(refTarget, c.steps), runScript(ourTarget, c.steps)]);
      if (process.env.DIFF_DUMP)
        console.log(
          `\n=== ${c.name}\n--- reference\n${JSON.stringify(r.transcript, null, 1)}\n--- ours\n${JSON.stringify(o.transcript, null, 1)}`,
        );
      expect(
        expectationFailures(c.name, c.steps, r.transcript, 'reference'),
        'reference vs documented behaviour',
      ).toEqual([]);
      expect(comparable(c.name, c.steps, o.transcript, 'ours'), 'our reply shapes vs the reference').toEqual(
        comparable(c.name, c.steps, r.transcript, 'reference'),
      );
      expect(expectationFailures(c.name, c.steps, o.transcript, 'ours'), 'ours vs documented behaviour').toEqual([]);
      if (c === refused) {
        // What the reference does and we do not: our answer must be a clear refusal, and nothing changed.
        const codes = Object.fromEntries(
          o.transcript.map((t) => [
            t.step,
            (t.reply as { plugindata?: { data?: { error_code?: number } } } | undefined)?.plugindata?.data?.error_code,
          ]),
        );
        expect(codes).toMatchObject({
          rtp_forward: 499,
          listforwarders: 499,
          stop_rtp_forward: 499,
          enable_recording: 499,
          enable_mjrs: 499,
          play_file: 499,
          is_playing: 499,
          stop_file: 499,
          'create with record': 484,
        });
      }
    });
  }
});
