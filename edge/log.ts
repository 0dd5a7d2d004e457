/** Structured JSON logs with levels; LOG_LEVEL=silent keeps tests quiet. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogLevelName = Level | 'silent';
const rank: Record<LogLevelName, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * The level admin `set_log_level` put in force in this isolate (the shared settings carry it to
 * every shard, which applies it here); undefined: each logger's configured level.
 */
let runtimeLevel: LogLevelName | undefined;

/** Whether log lines carry a `time` field (admin `set_log_timestamps`; off by default, as in Janus). */
let timestamps = false;

/** Janus's numeric level (0 none … 4 info … 7 debug) of a configured level name. */
export function janusLogLevel(name: LogLevelName): number {
  return { silent: 0, error: 2, warn: 3, info: 4, debug: 7 }[name];
}

/** Our level for a Janus level: 0 silent, 1–2 error (fatal, err), 3 warn, 4 info, 5–7 debug (verb, huge, dbg). */
export function levelOfJanus(level: number): LogLevelName {
  if (level <= 0) return 'silent';
  if (level <= 2) return 'error';
  if (level === 3) return 'warn';
  if (level === 4) return 'info';
  return 'debug';
}

/** Puts a Janus log level in force for every logger of this isolate (undefined: back to the configured ones). */
export function applyJanusLogLevel(level: number | undefined): void {
  runtimeLevel = level === undefined ? undefined : levelOfJanus(level);
}

/** Puts admin `set_log_timestamps` in force for every logger of this isolate (undefined: off). */
export function applyLogTimestamps(on: boolean | undefined): void {
  timestamps = on ?? false;
}

export class Logger {
  constructor(
    private readonly level: LogLevelName,
    private readonly component: string,
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.write('error', msg, fields);
  }

  /** Writes at a level chosen at run time (admin `custom_logline`). */
  log(level: Level, msg: string, fields?: Record<string, unknown>): void {
    this.write(level, msg, fields);
  }

  /** Whether a message of `level` is written now. */
  enabled(level: Level): boolean {
    return rank[level] >= rank[runtimeLevel ?? this.level];
  }

  private write(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    const time = timestamps ? { time: new Date().toISOString() } : {};
    const line = JSON.stringify({ ...time, level, component: this.component, msg, ...fields });
    if (level === 'error' || level === 'warn') console.error(line);
    else console.log(line);
  }
}
