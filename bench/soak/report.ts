/**
 * The soak benchmark's output: the RSS of every process after each phase, as a table per phase, a
 * summary with one column per phase, and a verdict per process (is the memory given back?).
 */
import { table } from '../support/table.js';
import type { ProcessRss } from './memory.js';

export interface PhaseRss {
  phase: string;
  note: string;
  processes: ProcessRss[];
}

export const TOLERANCE = 0.1;

const mb = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(1));
const total = (ps: ProcessRss[]) => ps.reduce((a, p) => a + p.rssMb, 0);

/** The table printed after a phase: each process, its RSS, and the change since the baseline. */
export function phaseTable(target: string, phase: PhaseRss, baseline: PhaseRss | undefined): string {
  const before = new Map(baseline?.processes.map((p) => [p.name, p.rssMb]));
  if (baseline) before.set('total', total(baseline.processes));
  const delta = (name: string, now: number) => {
    const b = before.get(name);
    return b === undefined ? '-' : `${now - b >= 0 ? '+' : ''}${(now - b).toFixed(1)}`;
  };
  const rows = [['process', 'pid', 'RSS MB', 'Δ baseline MB']];
  for (const p of phase.processes) rows.push([p.name, String(p.pid), mb(p.rssMb), delta(p.name, p.rssMb)]);
  rows.push(['total', '', mb(total(phase.processes)), delta('total', total(phase.processes))]);
  return `\n## ${target} — after ${phase.phase}${phase.note ? ` (${phase.note})` : ''}\n${table(rows)}`;
}

/** Every phase side by side, one row per process (and the total). */
export function summaryTable(target: string, phases: PhaseRss[]): string {
  const names = [...new Set(phases.flatMap((ph) => ph.processes.map((p) => p.name)))];
  const rows = [['RSS MB', ...phases.map((ph) => ph.phase)]];
  for (const name of names)
    rows.push([name, ...phases.map((ph) => mb(ph.processes.find((p) => p.name === name)?.rssMb))]);
  rows.push(['total', ...phases.map((ph) => mb(total(ph.processes)))]);
  return `\n# ${target}: RSS after each phase\n${table(rows)}`;
}

/**
 * One line per process: `against` (the first sessions round) compared with each later phase named
 * in `checks`; within the tolerance or not.
 */
export function verdicts(target: string, phases: PhaseRss[], against: string, checks: string[]): string[] {
  const ref = phases.find((p) => p.phase === against);
  if (!ref) return [];
  const lines: string[] = [];
  const names = [...ref.processes.map((p) => p.name), 'total'];
  const rssOf = (ph: PhaseRss, name: string) =>
    name === 'total' ? total(ph.processes) : ph.processes.find((p) => p.name === name)?.rssMb;
  for (const name of names) {
    const base = rssOf(ref, name)!;
    const parts: string[] = [];
    let ok = true;
    for (const check of checks) {
      const ph = phases.find((p) => p.phase === check);
      const now = ph && rssOf(ph, name);
      if (now === undefined) continue;
      const change = (now - base) / base;
      const within = change <= TOLERANCE;
      ok &&= within;
      parts.push(`${check} ${mb(now)} MB (${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %)`);
    }
    if (parts.length === 0) continue;
    lines.push(
      `${ok ? 'OK  ' : 'GREW'} ${target} ${name}: ${against} ${mb(base)} MB → ${parts.join(', ')}: ${
        ok ? `within ${TOLERANCE * 100} %` : `NOT within ${TOLERANCE * 100} %`
      }`,
    );
  }
  return lines;
}
