/**
 * What a benchmark started (stacks, reference servers, clients), stopped in reverse order once: at
 * the end, or on SIGINT/SIGTERM/SIGHUP so that Ctrl-C never leaves servers behind.
 */
export const cleanups: Array<() => Promise<void> | void> = [];
let cleaning: Promise<void> | undefined;

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup failed: ${String(err)}`);
      }
    }
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping servers`);
    void cleanup().finally(() => process.exit(130));
  });
}
