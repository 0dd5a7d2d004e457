import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { loggingRequest } from '../../../edge/core/adminLogging.js';
import { statusRequest } from '../../../edge/core/adminStatus.js';
import { queryTransport } from '../../../edge/core/adminTransports.js';
import { applyIsolateSettings, relaySettingsOf, type SharedSettings } from '../../../edge/core/settings.js';
import { Logger } from '../../../edge/log.js';

/** The coordinator's settings surface, in memory: what admin requests read and change. */
class SettingsCore {
  settings: SharedSettings = { version: 1, sessionTimeout: 60, acceptNewSessions: true, tokens: {} };
  async getSettings(): Promise<SharedSettings> {
    return this.settings;
  }
  async updateSettings(patch: Partial<Omit<SharedSettings, 'version'>>): Promise<SharedSettings> {
    this.settings = { ...this.settings, ...patch, version: this.settings.version + 1 };
    applyIsolateSettings(this.settings);
    return this.settings;
  }
}

const config = { tokenAuth: false, reclaimSessionTimeout: 0, candidatesTimeout: 45, logLevel: 'debug' as const };
const status = async (core: SettingsCore) =>
  (await statusRequest(core, config, 'get_status', {})).status as Record<string, unknown>;

// The loggers write JSON lines to the console: captured here to read what they wrote.
let out: MockInstance<typeof console.log>;
let err: MockInstance<typeof console.error>;
const lines = () =>
  [...out.mock.calls, ...err.mock.calls].map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);

beforeEach(() => {
  out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
  applyIsolateSettings({ version: 0, sessionTimeout: 0, acceptNewSessions: true, tokens: {} });
});

describe('admin set_log_timestamps / set_log_colors', () => {
  it('set_log_timestamps adds a time field to every log line, and get_status follows', async () => {
    const core = new SettingsCore();
    const log = new Logger('debug', 'test');
    expect((await status(core)).log_timestamps).toBe(false);
    log.info('before');
    expect(await loggingRequest(core, log, 'set_log_timestamps', { timestamps: true })).toEqual({
      log_timestamps: true,
    });
    expect((await status(core)).log_timestamps).toBe(true);
    log.info('with');
    await loggingRequest(core, log, 'set_log_timestamps', { timestamps: false });
    log.warn('after');
    const [before, withTime, after] = lines();
    expect(before).not.toHaveProperty('time');
    expect(Date.parse(String(withTime?.time))).toBeGreaterThan(0);
    expect(after).not.toHaveProperty('time');
    expect((await status(core)).log_timestamps).toBe(false);
  });

  it('refuses a missing (456) or mistyped (467) flag, changing nothing', async () => {
    const core = new SettingsCore();
    const log = new Logger('debug', 'test');
    await expect(loggingRequest(core, log, 'set_log_timestamps', {})).rejects.toMatchObject({
      code: 456,
      message: 'Missing mandatory element (timestamps)',
    });
    await expect(loggingRequest(core, log, 'set_log_timestamps', { timestamps: 1 })).rejects.toMatchObject({
      code: 467,
      message: 'Invalid element type (timestamps should be a boolean)',
    });
    expect(core.settings.version).toBe(1);
  });

  it('set_log_colors: false is what JSON lines are; true is refused (490)', async () => {
    const core = new SettingsCore();
    const log = new Logger('debug', 'test');
    expect(await loggingRequest(core, log, 'set_log_colors', { colors: false })).toEqual({ log_colors: false });
    await expect(loggingRequest(core, log, 'set_log_colors', { colors: true })).rejects.toMatchObject({
      code: 490,
      message: expect.stringContaining('not supported'),
    });
    expect((await status(core)).log_colors).toBe(false);
    expect(core.settings.version).toBe(1);
  });
});

describe('admin custom_logline / query_logger', () => {
  it('writes the line at the given Janus level, info by default; 0 never, above 7 as info', async () => {
    const core = new SettingsCore();
    const log = new Logger('debug', 'admin');
    await loggingRequest(core, log, 'custom_logline', { line: 'plain' });
    await loggingRequest(core, log, 'custom_logline', { line: 'an error', level: 2 });
    await loggingRequest(core, log, 'custom_logline', { line: 'verbose', level: 5 });
    await loggingRequest(core, log, 'custom_logline', { line: 'none', level: 0 });
    await loggingRequest(core, log, 'custom_logline', { line: 'nine', level: 9 });
    expect(out.mock.calls.map((c) => JSON.parse(String(c[0])))).toEqual([
      { level: 'info', component: 'admin', msg: 'plain', source: 'custom_logline' },
      { level: 'debug', component: 'admin', msg: 'verbose', source: 'custom_logline' },
      { level: 'info', component: 'admin', msg: 'nine', source: 'custom_logline' },
    ]);
    expect(err.mock.calls.map((c) => JSON.parse(String(c[0])))).toEqual([
      { level: 'error', component: 'admin', msg: 'an error', source: 'custom_logline' },
    ]);
  });

  it('follows the settings in force even where they were never pushed (the Worker running the request)', async () => {
    const core = new SettingsCore();
    core.settings = { ...core.settings, logLevel: 7, logTimestamps: true }; // stored, not applied here
    const log = new Logger('warn', 'admin');
    await loggingRequest(core, log, 'custom_logline', { line: 'debug line', level: 7 });
    const [line] = lines();
    expect(line).toMatchObject({ level: 'debug', msg: 'debug line' });
    expect(Date.parse(String(line?.time))).toBeGreaterThan(0);
  });

  it('follows the log level in force, and refuses a missing line or a bad level', async () => {
    const core = new SettingsCore();
    const log = new Logger('warn', 'admin');
    await loggingRequest(core, log, 'custom_logline', { line: 'quiet' });
    expect(lines()).toEqual([]);
    await expect(loggingRequest(core, log, 'custom_logline', {})).rejects.toMatchObject({ code: 456 });
    await expect(loggingRequest(core, log, 'custom_logline', { line: 1 })).rejects.toMatchObject({
      code: 467,
      message: 'Invalid element type (line should be a string)',
    });
    await expect(loggingRequest(core, log, 'custom_logline', { line: 'x', level: -1 })).rejects.toMatchObject({
      code: 467,
      message: 'Invalid element type (level should be a positive integer)',
    });
  });

  it('query_logger: we have no logger plugins (460), the logger is mandatory (456)', async () => {
    const core = new SettingsCore();
    const log = new Logger('debug', 'admin');
    await expect(
      loggingRequest(core, log, 'query_logger', { logger: 'janus.logger.jsonlog', request: {} }),
    ).rejects.toMatchObject({ code: 460, message: 'Invalid logger' });
    await expect(loggingRequest(core, log, 'query_logger', {})).rejects.toMatchObject({ code: 456 });
  });
});

describe('admin debug and NACK setters', () => {
  it.each([
    ['set_locking_debug', { debug: false }, { locking_debug: false }],
    ['set_refcount_debug', { debug: false }, { refcount_debug: false }],
    ['set_nack_optimizations', { nack_optimizations: false }, { 'nack-optimizations': false }],
  ])('%s accepts false (what we do) and refuses true (490), get_status still false', async (verb, off, reply) => {
    const core = new SettingsCore();
    expect(await statusRequest(core, config, verb, off)).toEqual(reply);
    const on = Object.fromEntries(Object.keys(off).map((k) => [k, true]));
    await expect(statusRequest(core, config, verb, on)).rejects.toMatchObject({
      code: 490,
      message: expect.stringContaining('not supported'),
    });
    await expect(statusRequest(core, config, verb, {})).rejects.toMatchObject({ code: 456 });
    expect(await status(core)).toMatchObject(reply);
    expect(core.settings.version).toBe(1);
  });
});

describe('admin query_transport', () => {
  const http = 'janus.transport.http';
  const ws = 'janus.transport.websockets';
  const query = (transport: string, request?: unknown) => queryTransport({ transport, request });

  it('names our two transports; any other is 460, a missing one 456, a non-object request 467', () => {
    expect(() => query('janus.transport.pfunix', {})).toThrow(expect.objectContaining({ code: 460 }));
    expect(() => queryTransport({ request: {} })).toThrow(expect.objectContaining({ code: 456 }));
    expect(() => query(http, 'configure')).toThrow(
      expect.objectContaining({ code: 467, message: 'Invalid element type (request should be an object)' }),
    );
  });

  it("answers with the transport's own errors: 412 no request, 413 mistyped, 411 unknown", () => {
    for (const t of [http, ws]) {
      expect(query(t, {})).toEqual({ response: { error_code: 412, error: 'Missing mandatory element (request)' } });
      expect(query(t)).toEqual({ response: { error_code: 412, error: 'Missing mandatory element (request)' } });
      expect(query(t, { request: 'whatever' })).toEqual({
        response: { error_code: 411, error: "Unknown request 'whatever'" },
      });
      expect(query(t, { request: 'configure', events: 3 })).toEqual({
        response: { error_code: 413, error: 'Invalid element type (events should be a boolean)' },
      });
    }
  });

  it('configure accepts what we do (compact JSON; events on WebSockets, none on HTTP) and refuses the rest', () => {
    expect(query(http, { request: 'configure' })).toEqual({ response: { result: 200 } });
    expect(query(ws, { request: 'configure', json: 'compact', events: true })).toEqual({ response: { result: 200 } });
    expect(query(http, { request: 'configure', events: false })).toEqual({ response: { result: 200 } });
    expect(query(http, { request: 'configure', json: 'fancy' })).toEqual({
      response: { result: 200, notes: ['Ignored unsupported indentation format'] },
    });
    for (const [t, body] of [
      [http, { json: 'indented' }],
      [ws, { json: 'plain' }],
      [http, { events: true }],
      [ws, { events: false }],
      [ws, { logging: 'err,warn' }],
      [ws, { request: 'connections' }],
    ] as const) {
      expect(query(t, { request: 'configure', ...body }).response, JSON.stringify(body)).toMatchObject({
        error_code: 499,
      });
    }
  });
});

describe('admin set_min_nack_queue', () => {
  it('stores the window every relay applies, and get_status reports it (Janus default 200 ms)', async () => {
    const core = new SettingsCore();
    expect((await status(core)).min_nack_queue).toBe(200);
    expect(await statusRequest(core, config, 'set_min_nack_queue', { min_nack_queue: 500 })).toEqual({
      min_nack_queue: 500,
    });
    expect(core.settings.minNackQueue).toBe(500);
    expect(relaySettingsOf(core.settings)).toEqual({ minNackQueueMs: 500 });
    expect((await status(core)).min_nack_queue).toBe(500);
    await statusRequest(core, config, 'set_min_nack_queue', { min_nack_queue: 0 });
    expect((await status(core)).min_nack_queue).toBe(0);
  });

  it('refuses a missing (456), negative or mistyped (467) or too long (467) window, changing nothing', async () => {
    const core = new SettingsCore();
    await expect(statusRequest(core, config, 'set_min_nack_queue', {})).rejects.toMatchObject({
      code: 456,
      message: 'Missing mandatory element (min_nack_queue)',
    });
    await expect(statusRequest(core, config, 'set_min_nack_queue', { min_nack_queue: -1 })).rejects.toMatchObject({
      code: 467,
      message: 'Invalid element type (min_nack_queue should be a positive integer)',
    });
    await expect(statusRequest(core, config, 'set_min_nack_queue', { min_nack_queue: 'x' })).rejects.toMatchObject({
      code: 467,
    });
    await expect(statusRequest(core, config, 'set_min_nack_queue', { min_nack_queue: 60_001 })).rejects.toMatchObject({
      code: 467,
    });
    expect(core.settings.version).toBe(1);
  });
});
