/** Command-line options of the benchmarks: `--name=value` wins over the environment. */
export function arg(name: string): string | undefined {
  const hit = process.argv.slice(2).find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : (hit.split('=')[1] ?? 'true');
}

export function positiveInt(v: string | undefined, def: number, what: string): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got ${v}`);
  return n;
}

export function positiveNumber(v: string | undefined, def: number, what: string): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, got ${v}`);
  return n;
}
