/**
 * One full garbage collection, when node exposes it (`npm start` runs with --expose-gc). Starting
 * Miniflare leaves tens of MB of garbage (the workerd configuration it serialises, the Worker's
 * sources it reads) that a supervisor idling afterwards would keep in its heap: V8 collects when
 * allocation asks it to, and an idle process hardly allocates.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
