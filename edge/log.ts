/** Structured JSON logs with levels; LOG_LEVEL=silent keeps tests quiet. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export class Logger {
  constructor(
    private readonly level: Level | 'silent',
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

  private write(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (rank[level] < rank[this.level]) return;
    const line = JSON.stringify({ level, component: this.component, msg, ...fields });
    if (level === 'error' || level === 'warn') console.error(line);
    else console.log(line);
  }
}
