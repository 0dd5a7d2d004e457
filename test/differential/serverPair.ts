/**
 * The reference Janus and our stack side by side, for the differential tests: both started (whichever
 * did start is kept for `stop` when the other fails), a case run on both, and its transcripts compared
 * (documented outcomes on each, reply shapes and order between them). Set DIFF_DUMP=1 to print both.
 */
import { expect } from 'vitest';
import { startReferenceJanus, type ReferenceJanus } from '../support/janusReference.js';
import { hostAddress } from '../support/referenceNet.js';
import { startStack, type Stack } from '../support/stack.js';
import type { Case } from './cases.js';
import { comparable, expectationFailures } from './compare.js';
import { runScript, type Recorded, type Target } from './harness.js';

export const ADMIN_SECRET = 'janusoverlord'; // /etc/janus/janus.jcfg and our default

const urls = (s: { httpUrl: string; wsUrl: string; adminUrl: string }) => ({
  httpUrl: s.httpUrl,
  wsUrl: s.wsUrl,
  adminUrl: s.adminUrl,
});

export class ServerPair {
  ref: ReferenceJanus | undefined;
  stack: Stack | undefined;
  private refTarget: Target | undefined;
  private ourTarget: Target | undefined;

  /** Starts the reference (with its event handler posting to `eventsUrl`) and our stack with `stackEnv`. */
  async start(stackEnv: Record<string, string>, eventsUrl?: string, refOpts: { tokenAuth?: boolean } = {}) {
    const [r, s] = await Promise.allSettled([startReferenceJanus(eventsUrl, refOpts), startStack(stackEnv)]);
    if (r.status === 'fulfilled') this.ref = r.value;
    if (s.status === 'fulfilled') this.stack = s.value;
    if (r.status === 'rejected') throw r.reason;
    if (s.status === 'rejected') throw s.reason;
    if (!this.ref || !this.stack) throw new Error('reference Janus did not start');
    this.refTarget = { name: 'reference', ...urls(this.ref), adminSecret: ADMIN_SECRET, iceAddress: hostAddress() };
    this.ourTarget = { name: 'ours', ...urls(this.stack), adminSecret: ADMIN_SECRET, iceAddress: '127.0.0.1' };
  }

  async stop(): Promise<void> {
    try {
      this.ref?.stop();
    } finally {
      await this.stack?.stop();
    }
  }

  /** Runs `c` on both servers at once: [the reference's transcript, ours]. */
  async run(c: Case): Promise<[Recorded[], Recorded[]]> {
    const [r, o] = await Promise.all([runScript(this.refTarget!, c.steps), runScript(this.ourTarget!, c.steps)]);
    if (process.env.DIFF_DUMP)
      console.log(
        `\n=== ${c.name}\n--- reference\n${JSON.stringify(r.transcript, null, 1)}\n--- ours\n${JSON.stringify(o.transcript, null, 1)}`,
      );
    return [r.transcript, o.transcript];
  }
}

/**
 * The reference must meet the documented outcomes (else the script, not our edge, is wrong); ours must
 * answer in the reference's shapes and order, and meet them too.
 */
export function expectAsReference(c: Case, reference: Recorded[], ours: Recorded[]): void {
  expect(expectationFailures(c.name, c.steps, reference, 'reference'), 'reference vs documented behaviour').toEqual([]);
  expect(comparable(c.name, c.steps, ours, 'ours'), 'our reply shapes vs the reference').toEqual(
    comparable(c.name, c.steps, reference, 'reference'),
  );
  expect(expectationFailures(c.name, c.steps, ours, 'ours'), 'ours vs documented behaviour').toEqual([]);
}
