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
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { AB_MEDIA_DIR, AB_TONE_FILE, audiobridgeCases } from './audiobridgeCases.js';
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
    // The file both servers play, in the folder both record to.
    rmSync(AB_MEDIA_DIR, { recursive: true, force: true });
    mkdirSync(AB_MEDIA_DIR, { recursive: true });
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=660:duration=3'],
      ...['-c:a', 'libopus', '-b:a', '32k', AB_TONE_FILE],
    ]);
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
      rmSync(AB_MEDIA_DIR, { recursive: true, force: true });
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
    });
  }
});
