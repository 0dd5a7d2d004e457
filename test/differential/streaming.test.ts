/**
 * Differential test of the Streaming plugin (janus.plugin.streaming): the scripts of
 * streamingCases.ts run against the reference Janus 1.1.2 (its Streaming plugin enabled) and our
 * stack; shapes and message order must agree, and so must every error code. Set DIFF_DUMP=1 to print
 * both transcripts of every case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReferenceJanus } from '../support/janusReference.js';
import { referenceJanusFor } from '../support/janusReference.js';
import { hostAddress } from '../support/referenceNet.js';
import { startStack, type Stack } from '../support/stack.js';
import { getPath, runScript, type Recorded } from './harness.js';
import { ADMIN_SECRET, expectAsReference } from './serverPair.js';
import { streamingCases } from './streamingCases.js';
import { streamingKindsCases } from './streamingKindsCases.js';
import { streamingSvcCases } from './streamingSvcCases.js';
import { startReferenceWithStreaming } from './streamingReference.js';

const codes = (t: Recorded[]) =>
  t.map((r) => ({
    step: r.step,
    code: getPath(r.reply, 'plugindata.data.error_code') ?? null,
    events: (r.events ?? []).map(
      (e) => getPath(e, 'plugindata.data.error_code') ?? getPath(e, 'plugindata.data.result') ?? null,
    ),
  }));

describe.skipIf(!referenceJanusFor('differential streaming'))(
  'differential: Streaming against the reference Janus 1.1.2',
  () => {
    let ref: ReferenceJanus | undefined;
    let stack: Stack | undefined;
    beforeAll(async () => {
      [ref, stack] = await Promise.all([startReferenceWithStreaming(), startStack()]);
    }, 120_000);
    afterAll(async () => {
      ref?.stop();
      await stack?.stop();
    });

    for (const c of [...streamingCases, ...streamingKindsCases, ...streamingSvcCases])
      it(c.name, { timeout: 60_000 }, async () => {
        const urls = (s: { httpUrl: string; wsUrl: string; adminUrl: string }) => ({
          httpUrl: s.httpUrl,
          wsUrl: s.wsUrl,
          adminUrl: s.adminUrl,
        });
        const [r, o] = await Promise.all([
          runScript(
            { name: 'reference', ...urls(ref!), adminSecret: ADMIN_SECRET, iceAddress: hostAddress() },
            c.steps,
          ),
          runScript({ name: 'ours', ...urls(stack!), adminSecret: ADMIN_SECRET, iceAddress: '127.0.0.1' }, c.steps),
        ]);
        if (process.env.DIFF_DUMP)
          console.log(
            `\n=== ${c.name}\n--- reference\n${JSON.stringify(r.transcript, null, 1)}\n--- ours\n${JSON.stringify(o.transcript, null, 1)}`,
          );
        expect(codes(o.transcript)).toEqual(codes(r.transcript));
        expectAsReference(c, r.transcript, o.transcript);
      });
  },
);
