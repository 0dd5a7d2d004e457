/**
 * CPU profile of the edge (workerd) under a benchmark, through the V8 inspector that
 * `EDGE_INSPECTOR_PORT` opens (`EDGE_RUNNER=miniflare`, which bench:connect and bench:churn use).
 *
 *   EDGE_INSPECTOR_PORT=9311 npm run bench:connect -- --only=ours --calls=40 &
 *   npx tsx bench/edgeProfile.ts --port=9311 --seconds=30 --delay=5 --out=.tmp/edge.cpuprofile
 *   npx tsx bench/edgeProfile.ts --summarize=.tmp/edge.cpuprofile [--top=40]
 *
 * Waits for the inspector to answer, waits `--delay` seconds (start-up and JIT warm-up), samples
 * every isolate it lists for `--seconds`, writes the profile (one file per isolate when there are
 * several) and prints the functions with the most self time, and the same summed per script.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { arg, positiveInt } from './support/args.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

interface InspectorTarget {
  id: string;
  title?: string;
  webSocketDebuggerUrl: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function targets(port: number, waitMs: number): Promise<InspectorTarget[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json/list`);
      // The Worker's own isolate; the others (assets, cache, the entry) run no code of ours.
      const list = ((await res.json()) as InspectorTarget[]).filter((t) => t.title?.includes('core:user'));
      if (list.length > 0) return list;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`no inspector on port ${port} within ${waitMs} ms`);
    await sleep(250);
  }
}

/** One inspector session: numbered requests, answered by id. */
class InspectorSession {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id === undefined) return;
      const done = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      done?.(msg.error ? { error: msg.error } : msg.result);
    });
    // The runtime went away (the bench ended first): fail what waits rather than hang.
    ws.on('close', () => {
      for (const done of this.waiting.values()) done({ error: 'inspector closed' });
      this.waiting.clear();
    });
  }

  static open(url: string): Promise<InspectorSession> {
    return new Promise((res, rej) => {
      const ws = new WebSocket(url);
      ws.once('open', () => res(new InspectorSession(ws)));
      ws.once('error', rej);
    });
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((res) => {
      this.waiting.set(id, res as (r: unknown) => void);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** A sample's function as `name script:line`. */
function frameName(n: ProfileNode): string {
  const script = n.callFrame.url.split('/').slice(-2).join('/') || '(native)';
  return `${n.callFrame.functionName || '(anonymous)'} ${script}:${n.callFrame.lineNumber + 1}`;
}

function table(m: Map<string, number>, busy: number, top: number): string {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${((100 * v) / busy).toFixed(1).padStart(6)} %  ${k}`)
    .join('\n');
}

/**
 * Where the busy samples fell: self and inclusive shares per function, self per script. Shares of
 * samples, not milliseconds: workerd samples at its own pace, so /proc's CPU time gives the scale.
 */
export function summarize(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  if (profile.samples) for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  else for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byScript = new Map<string, number>();
  let busy = 0;
  for (const [id, h] of hits) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)' || !h) continue;
    busy += h;
    const name = frameName(n);
    self.set(name, (self.get(name) ?? 0) + h);
    const script = n.callFrame.url.split('/').slice(-2).join('/') || '(native)';
    byScript.set(script, (byScript.get(script) ?? 0) + h);
    // Each function once per stack, however deep it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = frameName(byId.get(at)!);
      if (seen.has(f)) continue;
      seen.add(f);
      inclusive.set(f, (inclusive.get(f) ?? 0) + h);
    }
  }
  return [
    `${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s sampled, ${busy} busy samples`,
    'self:',
    table(self, busy, top),
    'inclusive:',
    table(inclusive, busy, top),
    'self by script:',
    table(byScript, busy, 10),
  ].join('\n');
}

async function record(port: number, seconds: number, delay: number, out: string, top: number): Promise<void> {
  const list = await targets(port, 120_000);
  await sleep(delay * 1000);
  const sessions = await Promise.all(list.map((t) => InspectorSession.open(t.webSocketDebuggerUrl)));
  for (const s of sessions) {
    await s.send('Profiler.enable');
    await s.send('Profiler.setSamplingInterval', { interval: 200 });
    await s.send('Profiler.start');
  }
  console.log(`profiling ${sessions.length} isolate(s) for ${seconds} s`);
  await sleep(seconds * 1000);
  for (const [i, s] of sessions.entries()) {
    const { profile } = await s.send<{ profile?: Profile }>('Profiler.stop');
    s.close();
    if (!profile) throw new Error(`${list[i]!.title ?? list[i]!.id}: no profile (did the edge stop first?)`);
    const file = sessions.length > 1 ? out.replace(/\.cpuprofile$/, `.${i}.cpuprofile`) : out;
    writeFileSync(file, JSON.stringify(profile));
    console.log(`${list[i]!.title ?? list[i]!.id} → ${file}\n${summarize(profile, top)}`);
  }
}

const top = positiveInt(arg('top'), 30, '--top');
const toSummarize = arg('summarize');
if (toSummarize) console.log(summarize(JSON.parse(readFileSync(toSummarize, 'utf8')) as Profile, top));
else
  await record(
    positiveInt(arg('port') ?? process.env.EDGE_INSPECTOR_PORT, 9229, '--port'),
    positiveInt(arg('seconds'), 30, '--seconds'),
    Number(arg('delay') ?? 5),
    arg('out') ?? '.tmp/edge.cpuprofile',
    top,
  );
