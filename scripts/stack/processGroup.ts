import type { ChildProcess } from 'node:child_process';

/**
 * Signals a child started with `detached: true` and every process of its group (workerd, esbuild),
 * even when the leader itself is already gone (its group may not be).
 */
export function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  if (!c.pid) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    // already gone
  }
}

/** Resolves when the child has exited (at once if it already has). */
export const exited = (c: ChildProcess): Promise<void> =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function terminate(c: ChildProcess, graceMs: number): Promise<void> {
  killGroup(c, 'SIGTERM');
  const force = setTimeout(() => killGroup(c, 'SIGKILL'), graceMs);
  await exited(c);
  clearTimeout(force);
}
