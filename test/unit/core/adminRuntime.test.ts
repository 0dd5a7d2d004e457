import { afterEach, describe, expect, it } from 'vitest';
import { networkRequest } from '../../../edge/core/adminNetwork.js';
import { statusRequest } from '../../../edge/core/adminStatus.js';
import { applyIsolateSettings, type SharedSettings } from '../../../edge/core/settings.js';
import { queryEventHandler } from '../../../edge/events/eventHandlerQuery.js';
import { ALL_EVENTS, parseEventsMask } from '../../../edge/events/eventMask.js';
import { Logger } from '../../../edge/log.js';
import { EventType } from '../../../shared/janus/events.js';

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

const config = { tokenAuth: false, reclaimSessionTimeout: 0, candidatesTimeout: 45, logLevel: 'warn' as const };
const evhConfig = { eventsUrl: 'http://127.0.0.1:1/', eventDelivery: { mask: ALL_EVENTS, grouping: true } };

afterEach(() => applyIsolateSettings({ version: 0, sessionTimeout: 0, acceptNewSessions: true, tokens: {} }));

describe('admin set_log_level / get_status', () => {
  it('get_status reports the configured level until set_log_level changes it, and loggers follow', async () => {
    const core = new SettingsCore();
    const status = async () => (await statusRequest(core, config, 'get_status', {})).status as Record<string, unknown>;
    expect((await status()).log_level).toBe(3);
    const log = new Logger('warn', 'test');
    expect(log.enabled('info')).toBe(false);
    expect(await statusRequest(core, config, 'set_log_level', { level: 7 })).toEqual({ level: 7 });
    expect((await status()).log_level).toBe(7);
    expect(log.enabled('debug')).toBe(true);
    await statusRequest(core, config, 'set_log_level', { level: 0 });
    expect(log.enabled('error')).toBe(false);
  });

  it('refuses a level outside 0–7 (467) or a missing one (456), changing nothing', async () => {
    const core = new SettingsCore();
    await expect(statusRequest(core, config, 'set_log_level', { level: 9 })).rejects.toMatchObject({
      code: 467,
      message: 'Invalid element type (level should be between 0 and 7)',
    });
    await expect(statusRequest(core, config, 'set_log_level', {})).rejects.toMatchObject({
      code: 456,
      message: 'Missing mandatory element (level)',
    });
    expect(core.settings.version).toBe(1);
  });

  it('loops_info lists no static loops', async () => {
    expect(await statusRequest(new SettingsCore(), config, 'loops_info', {})).toEqual({ loops: [] });
  });
});

describe('event handler: events mask, grouping, query_eventhandler', () => {
  it('parses Janus mask names and refuses unknown ones', () => {
    expect(parseEventsMask('all')).toBe(ALL_EVENTS);
    expect(parseEventsMask('none')).toBe(0);
    expect(parseEventsMask('sessions, handles,media')).toBe(EventType.SESSION | EventType.HANDLE | EventType.MEDIA);
    expect(parseEventsMask('sessions,bogus')).toBeUndefined();
  });

  it('query_eventhandler tweak stores mask and grouping in the shared settings every shard applies', async () => {
    const core = new SettingsCore();
    const tweak = {
      handler: 'janus.eventhandler.sampleevh',
      request: { request: 'tweak', events: 'handles', grouping: false },
    };
    expect(await queryEventHandler(core, evhConfig, tweak)).toEqual({ response: { result: 200 } });
    expect(core.settings).toMatchObject({ eventsMask: EventType.HANDLE, eventsGrouping: false });
    // A tweak of one of the two keeps the other.
    await queryEventHandler(core, evhConfig, { ...tweak, request: { request: 'tweak', events: 'all' } });
    expect(core.settings).toMatchObject({ eventsMask: ALL_EVENTS, eventsGrouping: false });
  });

  it('query_eventhandler answers as Janus: handler errors in the response, unknown handler 460', async () => {
    const core = new SettingsCore();
    const q = (raw: Record<string, unknown>) => queryEventHandler(core, evhConfig, raw);
    const evh = 'janus.eventhandler.sampleevh';
    await expect(q({ handler: 'nope', request: {} })).rejects.toMatchObject({
      code: 460,
      message: 'Invalid event handler',
    });
    await expect(q({ handler: evh, request: {} })).resolves.toEqual({
      response: { error_code: 412, error: 'Missing mandatory element (request)' },
    });
    expect(await q({ handler: evh })).toEqual({
      response: { error_code: 412, error: 'Missing mandatory element (request)' },
    });
    expect(await q({ handler: evh, request: { request: 'x' } })).toEqual({
      response: { error_code: 411, error: "Unknown request 'x'" },
    });
    expect(await q({ handler: evh, request: { request: 'tweak', events: 'bogus' } })).toMatchObject({
      response: { error_code: 413 },
    });
    expect(await q({ handler: evh, request: { request: 'tweak', backend: 'http://elsewhere/' } })).toMatchObject({
      response: { error_code: 413, error: 'Invalid element (backend cannot be changed at runtime)' },
    });
    expect(core.settings.version).toBe(1);
    // Without a webhook there is no event handler to query.
    await expect(
      queryEventHandler(core, { ...evhConfig, eventsUrl: undefined }, { handler: evh, request: { request: 'tweak' } }),
    ).rejects.toMatchObject({ code: 460 });
  });
});

describe('admin resolve_address / test_stun', () => {
  it('resolves literals and localhost; an unresolvable name is 490', async () => {
    expect(await networkRequest('resolve_address', { address: '192.0.2.7' })).toMatchObject({ ip: '192.0.2.7' });
    expect(await networkRequest('resolve_address', { address: 'localhost' })).toMatchObject({ ip: '127.0.0.1' });
    await expect(networkRequest('resolve_address', { address: 'not a host!' })).rejects.toMatchObject({
      code: 490,
      message: 'Could not resolve address',
    });
    await expect(networkRequest('resolve_address', {})).rejects.toMatchObject({ code: 456 });
  });

  it('test_stun is refused (no UDP at the edge) after its fields are checked', async () => {
    await expect(networkRequest('test_stun', { address: '127.0.0.1' })).rejects.toMatchObject({ code: 456 });
    await expect(networkRequest('test_stun', { address: '127.0.0.1', port: 3478 })).rejects.toMatchObject({
      code: 490,
      message: expect.stringContaining('STUN request failed') as unknown,
    });
  });
});
