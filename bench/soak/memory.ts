/**
 * The soak benchmark's measurements: the RSS of every process of a target (npm start's node,
 * wrangler, workerd, each relay; or the reference janus), named so that a process restarted under a
 * new pid stays on the same row, and the settle that precedes each snapshot.
 */
import { readFileSync } from 'node:fs';
import { descendants, rssKb } from '../support/proc.js';

export interface ProcessRss {
  name: string;
  pid: number;
  rssMb: number;
}

/** A measured target: its processes by name, and its Admin API (to see its sessions end). */
export interface Target {
  label: string;
  processes(): Array<{ name: string; pid: number }>;
  adminUrl: string;
  adminSecret: string;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * What a process under npm start is, from its command line. Under wrangler dev two workerds run:
 * the dev proxy serves the stack's port and forwards to the one running the Worker; under
 * Miniflare the Worker's workerd serves the port itself.
 */
function stackProcessName(pid: number, comm: string, stack: StackInfo, relays: Map<number, string>): string {
  const relay = relays.get(pid);
  if (relay) return `relay ${relay}`;
  const cmd = cmdline(pid);
  if (comm === 'workerd')
    return stack.runner === 'wrangler' && cmd.includes(`entry=127.0.0.1:${stack.port} `)
      ? 'workerd (dev proxy)'
      : 'workerd (Worker)';
  if (/scripts\/start\.ts/.test(cmd)) return 'npm start (node)';
  if (/wrangler/.test(cmd)) return 'wrangler dev (node)';
  if (/esbuild/.test(cmd) || comm === 'esbuild') return 'esbuild';
  return comm;
}

export interface StackInfo {
  pid: number;
  port: number;
  runner: string;
  relays: Array<{ id: string; pid: number }>;
}

/** The processes of an `npm start` stack: the stack's own node and everything below it. */
export function stackProcesses(stack: StackInfo): Array<{ name: string; pid: number }> {
  const relayNames = new Map(stack.relays.map((r) => [r.pid, r.id]));
  const out = [{ name: 'npm start (node)', pid: stack.pid }];
  const counts = new Map<string, number>();
  for (const p of descendants(stack.pid)) {
    let name = stackProcessName(p.pid, p.comm, stack, relayNames);
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    if (n > 1) name = `${name} #${n}`;
    out.push({ name, pid: p.pid });
  }
  return out;
}

export function snapshot(target: Target): ProcessRss[] {
  return target
    .processes()
    .map(({ name, pid }) => ({ name, pid, rssMb: rssKb(pid).rss / 1024 }))
    .filter((p) => p.rssMb > 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin(target: Target, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(target.adminUrl, {
    method: 'POST',
    body: JSON.stringify({ ...body, transaction: `soak-${Math.random()}`, admin_secret: target.adminSecret }),
    signal: AbortSignal.timeout(15_000),
  });
  return (await res.json()) as Record<string, unknown>;
}

export async function listSessions(target: Target): Promise<number[]> {
  const r = await admin(target, { janus: 'list_sessions' });
  if (r.janus !== 'success') throw new Error(`list_sessions: ${JSON.stringify(r).slice(0, 200)}`);
  return (r.sessions as number[] | undefined) ?? [];
}

/** Ends sessions through the Admin API (what a phase deliberately leaves behind); returns how many. */
export async function destroyAll(target: Target): Promise<number> {
  const ids = await listSessions(target);
  for (const id of ids) await admin(target, { janus: 'destroy_session', session_id: id }).catch(() => undefined);
  return ids.length;
}

export interface Settled {
  /** Seconds until list_sessions was empty (or the timeout). */
  drainSeconds: number;
  /** Sessions still listed at the timeout: the server did not end them. */
  leftover: number;
}

/** Waits until the target lists no session (at most `timeoutS`), then `quietS` more seconds. */
export async function settle(target: Target, timeoutS: number, quietS: number): Promise<Settled> {
  const t0 = performance.now();
  let leftover = 0;
  while (performance.now() - t0 < timeoutS * 1000) {
    leftover = (await listSessions(target)).length;
    if (leftover === 0) break;
    await sleep(500);
  }
  const drainSeconds = (performance.now() - t0) / 1000;
  await sleep(quietS * 1000);
  return { drainSeconds, leftover };
}
