/**
 * How a differential test compares two transcripts of one case: the comparable views (shapes and
 * order, minus the allowed differences of deliberate.ts) and the documented outcomes (`expect`).
 */
import type { Case } from './cases.js';
import { allowedFor, dropExtensionKeys } from './deliberate.js';
import { observed, stepShape, type Recorded } from './harness.js';

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

export function comparable(caseName: string, steps: Case['steps'], transcript: Recorded[], side: 'reference' | 'ours') {
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
    dropExtensionKeys(view);
    return view;
  });
}

/** Steps whose documented outcome (`expect`) the recorded reply does not meet. */
export function expectationFailures(
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
