/**
 * The relay process's CPU use between two heartbeats, as a fraction of one core: its media path
 * runs on one JavaScript thread, so 1 means that thread is saturated whatever the machine's cores
 * (libuv's pool can push it a little above). The edge places new peers by it (edge/relays/directory.ts).
 * The first seconds after start are reported as 0: compiling and warming up is not load, and a relay
 * that just joined must take new peers at once.
 */
export const CPU_WARMUP_MS = 3000;

export class CpuLoad {
  private lastUsage = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  private readonly startedAt = this.lastAt;

  constructor(private readonly warmupMs = CPU_WARMUP_MS) {}

  /** CPU used since the previous sample, per wall-clock time, rounded to 0.001. */
  sample(): number {
    const usage = process.cpuUsage();
    const at = process.hrtime.bigint();
    const cpuMicros = usage.user - this.lastUsage.user + (usage.system - this.lastUsage.system);
    const wallMicros = Number(at - this.lastAt) / 1000;
    this.lastUsage = usage;
    this.lastAt = at;
    if (wallMicros <= 0 || Number(at - this.startedAt) / 1e6 < this.warmupMs) return 0;
    return Math.round(Math.min(64, Math.max(0, cpuMicros / wallMicros)) * 1000) / 1000;
  }
}
