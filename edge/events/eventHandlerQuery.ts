import { z } from 'zod';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { parseJanus } from '../../shared/janus/validate.js';
import type { CoreCoordinatorApi } from '../core/coreApi.js';
import { parseEventsMask, type EventDeliverySettings } from './eventMask.js';

/** The one event handler the edge has (Janus's sample handler: a webhook). */
export const SAMPLE_EVENT_HANDLER = 'janus.eventhandler.sampleevh';

/** janus_sampleevh.c's error codes. */
const EvhError = { INVALID_REQUEST: 411, MISSING_ELEMENT: 412, INVALID_ELEMENT: 413 } as const;
const EVH = { missing: EvhError.MISSING_ELEMENT, invalid: EvhError.INVALID_ELEMENT };

const queryEnvelope = z.object({ handler: z.string() });
const requestSchema = z.object({ request: z.string() });
const tweakSchema = z.object({
  events: z.string().optional(),
  grouping: z.boolean().optional(),
  compress: z.boolean().optional(),
  compression: z.number().int().optional(),
  backend: z.string().optional(),
  backend_user: z.string().optional(),
  backend_pwd: z.string().optional(),
  max_retransmissions: z.number().int().optional(),
  retransmissions_backoff: z.number().int().optional(),
});
/** Tweaks Janus's handler accepts that the webhook sink cannot apply at runtime: refused, never ignored. */
const fixedAtDeploy = [
  'compress',
  'compression',
  'backend',
  'backend_user',
  'backend_pwd',
  'max_retransmissions',
  'retransmissions_backoff',
] as const;

type Core = Pick<CoreCoordinatorApi, 'getSettings' | 'updateSettings'>;

/**
 * Admin `query_eventhandler` (§3): the request goes to the named handler, whose answer (success or
 * its own error) is the reply's `response`. The sample handler's one request is `tweak`: `events`
 * and `grouping` change for every shard through the shared settings.
 */
export async function queryEventHandler(
  core: Core,
  config: { eventsUrl?: string; eventDelivery: EventDeliverySettings },
  raw: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const { handler } = parseJanus(queryEnvelope, raw);
  if (handler !== SAMPLE_EVENT_HANDLER || config.eventsUrl === undefined)
    throw new JanusApiError(JanusError.PLUGIN_NOT_FOUND, 'Invalid event handler');
  try {
    return { response: await handlerRequest(core, config.eventDelivery, raw.request) };
  } catch (err) {
    if (!(err instanceof JanusApiError)) throw err;
    return { response: { error_code: err.code, error: err.message } };
  }
}

async function handlerRequest(
  core: Core,
  configured: EventDeliverySettings,
  request: unknown,
): Promise<Record<string, unknown>> {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new JanusApiError(EvhError.MISSING_ELEMENT, 'Missing mandatory element (request)');
  const { request: name } = parseJanus(requestSchema, request, EVH);
  if (name.toLowerCase() !== 'tweak') throw new JanusApiError(EvhError.INVALID_REQUEST, `Unknown request '${name}'`);
  const tweak = parseJanus(tweakSchema, request, EVH);
  for (const key of fixedAtDeploy)
    if (tweak[key] !== undefined)
      throw new JanusApiError(EvhError.INVALID_ELEMENT, `Invalid element (${key} cannot be changed at runtime)`);
  const s = await core.getSettings();
  let mask = s.eventsMask ?? configured.mask;
  if (tweak.events !== undefined) {
    const parsed = parseEventsMask(tweak.events);
    if (parsed === undefined)
      throw new JanusApiError(EvhError.INVALID_ELEMENT, `Invalid element (events: '${tweak.events}')`);
    mask = parsed;
  }
  const grouping = tweak.grouping ?? s.eventsGrouping ?? configured.grouping;
  await core.updateSettings({ eventsMask: mask, eventsGrouping: grouping });
  return { result: 200 };
}
