/**
 * `npm start` at rest (issue 12): once it says `ready`, with nothing connected, no process of the
 * stack keeps a TypeScript loader or a build service, and the stack stays within its memory budget
 * (RSS, as bench:soak measures it): at most 350 MB in all, the relay at most 120 MB.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descendants, rssKb } from '../../bench/support/proc.js';
import { startStack } from '../support/stack.js';

const STACK_BUDGET_MB = 350;
const RELAY_BUDGET_MB = 120;

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();

describe('npm start at rest', () => {
  it('runs no TypeScript loader or build service and stays within 350 MB, the relay within 120', async () => {
    const stack = await startStack();
    try {
      // As bench:soak's baseline: a few quiet seconds after ready.
      await new Promise((r) => setTimeout(r, 5000));
      const relayPid = stack.relays[0]!.pid;
      const processes = [stack.pid, ...descendants(stack.pid).map((p) => p.pid)].map((pid) => ({
        pid,
        cmd: cmdline(pid),
        rssMb: rssKb(pid).rss / 1024,
      }));
      const table = processes.map((p) => `${p.rssMb.toFixed(1).padStart(7)} MB  ${p.cmd.slice(0, 100)}`).join('\n');
      expect(
        processes.map((p) => p.cmd).filter((c) => /\btsx\b|esbuild/.test(c)),
        table,
      ).toEqual([]);
      const total = processes.reduce((a, p) => a + p.rssMb, 0);
      expect(total, table).toBeLessThanOrEqual(STACK_BUDGET_MB);
      expect(processes.find((p) => p.pid === relayPid)!.rssMb, table).toBeLessThanOrEqual(RELAY_BUDGET_MB);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
