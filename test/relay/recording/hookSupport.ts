import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * A hook script as an operator would write one (`#!/bin/sh`), for tests: it uploads by copying the
 * file and its `RECORDING_*`/`RELAY_*` environment into `upload/`, and logs each run in `runs.log`.
 * A file whose name holds `fail` makes it exit 3 (after a line on stderr); `hang` makes it sleep past
 * any timeout (its pid written first, so a test can see it was killed).
 */
export function writeHookScript(dir: string): { script: string; upload: string } {
  const upload = join(dir, 'upload');
  mkdirSync(upload, { recursive: true });
  const script = join(dir, 'hook.sh');
  writeFileSync(
    script,
    `#!/bin/sh
name=$(basename "$1")
echo "$1" >> '${upload}/runs.log'
case "$name" in
  *fail*) echo "no bucket for $name" >&2; exit 3 ;;
  *hang*) echo $$ > '${upload}/'"$name.pid"; sleep 60; exit 0 ;;
esac
cp "$1" '${upload}/'"$name.copy"
env | grep -E '^(RECORDING_|RELAY_)' | sort > '${upload}/'"$name.env.tmp"
mv '${upload}/'"$name.env.tmp" '${upload}/'"$name.env"
`,
  );
  chmodSync(script, 0o755);
  return { script, upload };
}

/** The paths the hook was run with, in order. */
export function hookRuns(upload: string): string[] {
  const log = join(upload, 'runs.log');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

/** The environment the hook saw for `path` (undefined until its run finished). */
export function hookEnv(upload: string, path: string): Record<string, string> | undefined {
  const f = join(upload, `${basename(path)}.env`);
  if (!existsSync(f)) return undefined;
  const env: Record<string, string> = {};
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** The hook's copy of `path`. */
export function hookCopy(upload: string, path: string): Buffer {
  return readFileSync(join(upload, `${basename(path)}.copy`));
}

/**
 * Whether any process of the group `pgid` (a hook's, led by its pid) still runs: zombies left for
 * init to reap do not count (the container's init reaps orphans only every second or so).
 */
export function groupRunning(pgid: number): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}
