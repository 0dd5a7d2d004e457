import { Hono, type Context } from 'hono';
import { loadConfig } from '../config.js';
import { clientAddressOf } from '../core/clientAddress.js';
import type { Env } from '../env.js';
import { Logger } from '../log.js';
import { Stubs } from '../stubs.js';
import { regionOf } from '../transports/janusHttp.js';
import { HttpProblem, httpProblemOf } from './httpErrors.js';
import { iceServerLinks } from './iceServers.js';
import { InternalJanusClient, PluginError } from './janusClient.js';
import { iceEtag } from './iceRestart.js';
import { findResource, openResource, resourcePath, trickle, type Protocol } from './resource.js';
import { answerServerOffer, FailedIceRestart, restartIce } from './renegotiation.js';
import { parseSdpFragment } from './sdpFragment.js';
import { pathMountpointId, streamingMountpoint } from './streamingTarget.js';
import { pathRoomId, videoRoomFeed, videoRoomPublisher, type MediaTarget } from './targets.js';

type Ctx = Context<{ Bindings: Env }>;

/**
 * WHIP (RFC 9725) and WHEP on `/whip` and `/whep`: an endpoint takes the client's offer and answers
 * `201 Created` with the resource's `Location`; the resource takes trickled candidates (`PATCH`) and
 * ends with `DELETE`. A resource is an ordinary Janus session + handle (resource.ts). Mounted before
 * the API's CORS middleware: these routes answer their own preflights (PATCH, DELETE, ICE server links).
 */
export const whipRoutes = new Hono<{ Bindings: Env }>();

const ENDPOINT_METHODS = 'POST, OPTIONS';
const RESOURCE_METHODS = 'PATCH, DELETE, OPTIONS';
const EXPOSED = 'Location, ETag, Link, Accept-Post, Accept-Patch';
const TRICKLE = 'application/trickle-ice-sdpfrag';

/** The VideoRoom target of an endpoint path, or undefined (404). */
function targetOf(c: Ctx, protocol: Protocol): MediaTarget | undefined {
  const stringIds = loadConfig(c.env).videoroomStringIds;
  const room = pathRoomId(c.req.param('room') ?? '', stringIds);
  if (room === undefined) return undefined;
  if (protocol === 'whip') return videoRoomPublisher(room, c.req.query('display'));
  const feed = pathRoomId(c.req.param('feed') ?? '', stringIds);
  return feed === undefined ? undefined : videoRoomFeed(room, feed);
}

function corsHeaders(c: Ctx, methods: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': c.req.header('origin') ?? '*',
    'Access-Control-Allow-Methods': methods,
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
    'Access-Control-Expose-Headers': EXPOSED,
    'Access-Control-Max-Age': '86400',
    Vary: 'Origin',
  };
}

function bearerOf(c: Ctx): string | undefined {
  const auth = c.req.header('authorization');
  if (auth === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m) throw new HttpProblem(401, 'Authorization must be a bearer token');
  return m[1];
}

function problem(c: Ctx, methods: string, p: HttpProblem, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...corsHeaders(c, methods), ...extra };
  if (p.status === 401) headers['WWW-Authenticate'] = 'Bearer';
  if (p.status === 405) headers.Allow = methods;
  return c.text(p.message, p.status, headers);
}

function isType(c: Ctx, type: string): boolean {
  const ct = c.req.header('content-type');
  return ct !== undefined && ct.split(';')[0]!.trim().toLowerCase() === type;
}

/** The body as text, within MAX_BODY_BYTES (an SDP offer is a few kilobytes). */
async function bodyText(c: Ctx): Promise<string> {
  const max = loadConfig(c.env).maxBodyBytes;
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > max) throw new HttpProblem(413, 'Body too large');
  const text = await c.req.text();
  if (text.length > max) throw new HttpProblem(413, 'Body too large');
  return text;
}

function clientFor(c: Ctx, protocol: Protocol, token: string | undefined): InternalJanusClient {
  const config = loadConfig(c.env);
  return new InternalJanusClient(
    new Stubs(c.env, config.shardCount),
    config.shardCount,
    { kind: 'http', resource: protocol, address: clientAddressOf(c.req.raw.headers) },
    token === undefined ? {} : { apisecret: token, token },
    regionOf(c),
  );
}

function linkHeaders(c: Ctx): string[] {
  return iceServerLinks((c.env as { WHIP_ICE_SERVERS?: string }).WHIP_ICE_SERVERS);
}

function withLinks(headers: Headers, links: string[]): void {
  for (const l of links) headers.append('Link', l);
}

// ---------------------------------------------------------------- endpoints

/**
 * An endpoint: `OPTIONS` (ICE server links), `POST` with the client's offer → `201` with the answer,
 * through the target its path names (undefined: 404).
 */
function endpointRoutes(path: string, protocol: Protocol, targetAt: (c: Ctx) => MediaTarget | undefined): void {
  whipRoutes.options(path, (c) => {
    const res = c.body(null, 204, { ...corsHeaders(c, ENDPOINT_METHODS), 'Accept-Post': 'application/sdp' });
    withLinks(res.headers, linkHeaders(c));
    return res;
  });

  whipRoutes.post(path, async (c) => {
    let token: string | undefined;
    let target: MediaTarget | undefined;
    try {
      token = bearerOf(c);
      const typed = c.req.header('content-type') !== undefined;
      if (typed && !isType(c, 'application/sdp')) throw new HttpProblem(415, 'The offer must be application/sdp');
      target = targetAt(c);
      if (!target) throw new HttpProblem(404, 'No such endpoint');
      const body = await bodyText(c);
      // WHEP's server-offer mode: no offer in the POST, the relay offers and the player answers by PATCH.
      const serverOffers = protocol === 'whep' && body.trim() === '';
      if (!serverOffers && !typed) throw new HttpProblem(415, 'The offer must be application/sdp');
      if (!serverOffers && !body.trimStart().startsWith('v=0'))
        throw new HttpProblem(400, 'The body is not an SDP offer');
      const links = linkHeaders(c);
      const offer = serverOffers ? undefined : body;
      const opened = await openResource(clientFor(c, protocol, token), protocol, target, offer, token);
      const res = c.body(opened.sdp, 201, {
        ...corsHeaders(c, ENDPOINT_METHODS),
        'Content-Type': 'application/sdp',
        Location: resourcePath(protocol, opened),
        ETag: iceEtag(opened.clientSdp),
        'Accept-Patch': serverOffers ? 'application/sdp, application/trickle-ice-sdpfrag' : TRICKLE,
      });
      withLinks(res.headers, links);
      return res;
    } catch (err) {
      return failed(c, ENDPOINT_METHODS, err, token !== undefined, target);
    }
  });

  whipRoutes.all(path, (c) => problem(c, ENDPOINT_METHODS, new HttpProblem(405, 'Method not allowed')));
}

endpointRoutes('/whip/endpoint/:room', 'whip', (c) => targetOf(c, 'whip'));
endpointRoutes('/whep/endpoint/:room/:feed', 'whep', (c) => targetOf(c, 'whep'));
// A Streaming mountpoint: its own second segment, so no room or feed id (string ids included) can name it.
endpointRoutes('/whep/streaming/:id', 'whep', (c) => {
  const id = pathMountpointId(c.req.param('id') ?? '');
  return id === undefined ? undefined : streamingMountpoint(id);
});

for (const protocol of ['whip', 'whep'] as const) {
  const resource = `/${protocol}/resource/:session/:handle/:secret`;

  // ---------------------------------------------------------------- resources

  whipRoutes.options(resource, (c) =>
    c.body(null, 204, { ...corsHeaders(c, RESOURCE_METHODS), 'Accept-Patch': TRICKLE }),
  );

  whipRoutes.patch(resource, async (c) => {
    let token: string | undefined;
    try {
      token = bearerOf(c);
      const r = await locate(c, protocol);
      const client = clientFor(c, protocol, token);
      const headers = corsHeaders(c, RESOURCE_METHODS);
      if (protocol === 'whep' && isType(c, 'application/sdp')) {
        const answer = await answerServerOffer(client, r, await bodyText(c));
        return c.body(null, 204, { ...headers, ETag: iceEtag(answer) });
      }
      if (!isType(c, TRICKLE)) throw new HttpProblem(415, `PATCH takes ${TRICKLE}`);
      const ifMatch = c.req.header('if-match')?.trim();
      const fragment = parseSdpFragment(await bodyText(c));
      // `If-Match: *` asks for an ICE restart (RFC 9725 §4.4.1): the relay's new credentials come back.
      if (ifMatch === '*') {
        if (!fragment) throw new HttpProblem(400, `Not a ${TRICKLE} body`);
        const restarted = await restartIce(client, r, fragment, () => locate(c, protocol));
        return c.body(restarted.fragment, 200, {
          ...headers,
          'Content-Type': TRICKLE,
          ETag: iceEtag(restarted.clientSdp),
        });
      }
      if (ifMatch !== undefined && ifMatch !== iceEtag(r.clientSdp))
        throw new HttpProblem(412, 'The ICE session changed (ETag mismatch)');
      if (!fragment) throw new HttpProblem(400, `Not a ${TRICKLE} body`);
      await trickle(client, r, fragment.candidates);
      return c.body(null, 204, { ...headers, ETag: iceEtag(r.clientSdp) });
    } catch (err) {
      return failed(c, RESOURCE_METHODS, err, token !== undefined);
    }
  });

  whipRoutes.delete(resource, async (c) => {
    let token: string | undefined;
    try {
      token = bearerOf(c);
      const r = await locate(c, protocol);
      await clientFor(c, protocol, token).destroy(r.sessionId);
      return c.body(null, 200, corsHeaders(c, RESOURCE_METHODS));
    } catch (err) {
      return failed(c, RESOURCE_METHODS, err, token !== undefined);
    }
  });

  whipRoutes.all(resource, (c) => problem(c, RESOURCE_METHODS, new HttpProblem(405, 'Method not allowed')));
}

whipRoutes.all('/whip/*', (c) => problem(c, ENDPOINT_METHODS, new HttpProblem(404, 'No such endpoint')));
whipRoutes.all('/whep/*', (c) => problem(c, ENDPOINT_METHODS, new HttpProblem(404, 'No such endpoint')));

function locate(c: Ctx, protocol: Protocol) {
  const config = loadConfig(c.env);
  return findResource(
    new Stubs(c.env, config.shardCount),
    protocol,
    c.req.param('session') ?? '',
    c.req.param('handle') ?? '',
    c.req.param('secret') ?? '',
  );
}

function failed(c: Ctx, methods: string, failure: unknown, hadToken: boolean, target?: MediaTarget) {
  const err = failure instanceof FailedIceRestart ? failure.error : failure;
  let p =
    err instanceof PluginError && target?.pluginProblem
      ? target.pluginProblem(err.code, err.message, hadToken)
      : httpProblemOf(err, hadToken);
  // a failed ICE restart says what became of the resource
  if (failure instanceof FailedIceRestart) p = new HttpProblem(p.status, `${p.message}. ${failure.outcome}`);
  if (p.status >= 500)
    new Logger(loadConfig(c.env).logLevel, 'whip').warn('request failed', {
      path: new URL(c.req.url).pathname,
      status: p.status,
      error: err instanceof Error ? err.message : String(err),
    });
  return problem(c, methods, p);
}
