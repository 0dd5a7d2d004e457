/**
 * Generators of bad requests for the fuzz test. Every case is built so that it can NOT be a valid
 * request (a single guaranteed-invalid mutation of a valid template), and carries the Janus error
 * codes it may legitimately get, plus the HTTP statuses allowed for path-level cases. Several cases
 * aim at destructive verbs (destroy, detach, destroy_session, accept_new_sessions...) on live
 * "victim" sessions: if the edge ever accepted one, the victims or settings would change.
 */
import type { Json } from './janus.js';

export type Channel = 'http-janus' | 'http-admin' | 'ws-janus' | 'ws-admin';

export interface FuzzCase {
  n: number;
  kind: string;
  channel: Channel;
  /** HTTP: method and path below /janus or /admin ('' = the root). */
  method: string;
  path: string;
  /** The payload (text or raw bytes); undefined = no body. */
  body?: string | Uint8Array;
  /** Allowed Janus error codes. */
  codes: number[];
  /** Allowed non-JSON HTTP statuses (e.g. 404 for too many components, 302 redirect). */
  statuses: number[];
  /** The transaction a Janus error must echo, when the request had a readable one. */
  tx?: string;
}

export interface Victims {
  apisecret: string;
  adminSecret: string;
  sessions: number[];
  handles: number[]; // handles[i] belongs to sessions[i]
}

const KNOWN_JANUS_VERBS = [
  'create',
  'info',
  'ping',
  'attach',
  'destroy',
  'keepalive',
  'claim',
  'message',
  'trickle',
  'detach',
  'hangup',
];
const KNOWN_ADMIN_VERBS = [
  'info',
  'ping',
  'get_status',
  'set_session_timeout',
  'set_log_level',
  'accept_new_sessions',
  'list_sessions',
  'add_token',
  'allow_token',
  'disallow_token',
  'list_tokens',
  'remove_token',
  'message_plugin',
  'custom_event',
  'destroy_session',
  'list_handles',
  'handle_info',
  'hangup_webrtc',
  'detach_handle',
];

type R = () => number;

const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

function randomString(r: R, max = 24): string {
  const alphabets = [
    'abcdefghijklmnopqrstuvwxyz_',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ ',
    'ñéü漢字🙂\u0000\u001f\\"\'',
    '%$#@!&*()[]{}<>?/|',
  ];
  const a = pick(r, alphabets);
  const chars = [...a];
  let s = '';
  for (let i = int(r, 0, max); i > 0; i--) s += pick(r, chars);
  return s;
}

function unknownVerb(r: R, known: string[]): string {
  const candidates = [
    '',
    ' ',
    'creat',
    'createx',
    'keep-alive',
    'DESTROYY',
    'attach ',
    ' message',
    'list_sessions',
    'get_status',
    'janus',
    'null',
    'undefined',
    'constructor',
    '__proto__',
    'toString',
    'x'.repeat(int(r, 100, 3000)),
  ];
  for (;;) {
    const v = r() < 0.5 ? pick(r, candidates) : randomString(r, 40);
    if (!known.includes(v.toLowerCase())) return v;
  }
}

function randomBytes(r: R, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** A value of a type other than `type` (the field's JSON type). */
type FieldType = 'string' | 'int' | 'posint' | 'nonneg' | 'object' | 'array' | 'bool' | 'candidate';

function wrongValue(r: R, type: FieldType): unknown {
  const pool: Record<string, unknown[]> = {
    string: [0, 1, -1, 3.5, true, false, null, [], ['a'], {}, { a: 'b' }],
    int: ['1', 'abc', '', 1.5, -0.5, true, null, [], [1], {}, { id: 1 }],
    posint: ['1', 'abc', 1.5, true, null, [], {}, -7, 0],
    nonneg: ['1', 'abc', 1.5, true, null, [], {}, -7],
    object: ['x', 1, true, null, [], [{}]],
    array: ['x', 1, true, null, {}, { 0: 'a' }],
    bool: ['true', 1, 0, null, [], {}],
    candidate: ['x', 1, true, [], [{ candidate: 'x' }], { sdpMid: 0 }],
  };
  return pick(r, pool[type]!);
}

interface Template {
  obj: Json;
  /** Fields that the verb validates, with their type (mutating these must fail). */
  fields: Record<string, FieldType>;
  /** Fields that may be removed to get 456. */
  required: string[];
}

function janusTemplates(r: R, v: Victims): Template[] {
  const i = int(r, 0, v.sessions.length - 1);
  const s = v.sessions[i]!;
  const h = v.handles[i]!;
  // `token` is not here: with token auth off Janus ignores it, so a wrong type is no error.
  const env = { janus: 'string', transaction: 'string', apisecret: 'string' } as const;
  const sess = { ...env, session_id: 'int' } as const;
  const hand = { ...sess, handle_id: 'int' } as const;
  const base = (janus: string, extra: Json = {}): Json => ({
    janus,
    transaction: `fz-${int(r, 0, 1e9)}`,
    apisecret: v.apisecret,
    ...extra,
  });
  return [
    // `id` is not mutated: janus.c takes json_integer_value(id), so a mistyped id just means "any id".
    { obj: base('create'), fields: env, required: ['janus', 'transaction'] },
    {
      obj: base('attach', { session_id: s, plugin: 'janus.plugin.echotest' }),
      fields: { ...sess, plugin: 'string', opaque_id: 'string', loop_index: 'nonneg' },
      required: ['janus', 'transaction', 'plugin'],
    },
    { obj: base('keepalive', { session_id: s }), fields: sess, required: ['janus', 'transaction'] },
    { obj: base('destroy', { session_id: s }), fields: sess, required: ['janus', 'transaction'] },
    { obj: base('claim', { session_id: s }), fields: sess, required: ['janus', 'transaction'] },
    { obj: base('detach', { session_id: s, handle_id: h }), fields: hand, required: ['janus', 'transaction'] },
    { obj: base('hangup', { session_id: s, handle_id: h }), fields: hand, required: ['janus', 'transaction'] },
    {
      obj: base('message', { session_id: s, handle_id: h, body: {} }),
      fields: { ...hand, body: 'object', jsep: 'object' },
      required: ['janus', 'transaction', 'body'],
    },
    {
      obj: base('trickle', { session_id: s, handle_id: h, candidate: { completed: true } }),
      fields: { ...hand, candidate: 'candidate' },
      required: ['janus', 'transaction', 'candidate'],
    },
    {
      obj: base('trickle', { session_id: s, handle_id: h, candidates: [] }),
      fields: { ...hand, candidates: 'array' },
      required: ['janus', 'transaction', 'candidates'],
    },
  ];
}

function adminTemplates(r: R, v: Victims): Template[] {
  const i = int(r, 0, v.sessions.length - 1);
  const s = v.sessions[i]!;
  const h = v.handles[i]!;
  const env = { janus: 'string', transaction: 'string', admin_secret: 'string' } as const;
  const sess = { ...env, session_id: 'int' } as const;
  const hand = { ...sess, handle_id: 'int' } as const;
  const base = (janus: string, extra: Json = {}): Json => ({
    janus,
    transaction: `fa-${int(r, 0, 1e9)}`,
    admin_secret: v.adminSecret,
    ...extra,
  });
  return [
    { obj: base('list_sessions'), fields: env, required: ['janus', 'transaction'] },
    { obj: base('get_status'), fields: env, required: ['janus', 'transaction'] },
    {
      obj: base('accept_new_sessions', { accept: false }),
      fields: { ...env, accept: 'bool' },
      required: ['janus', 'transaction', 'accept'],
    },
    {
      obj: base('set_session_timeout', { timeout: 1 }),
      fields: { ...env, timeout: 'int' },
      required: ['janus', 'transaction', 'timeout'],
    },
    {
      obj: base('set_log_level', { level: 7 }),
      fields: { ...env, level: 'int' },
      required: ['janus', 'transaction', 'level'],
    },
    {
      obj: base('custom_event', { schema: 'fuzz', data: {} }),
      fields: { ...env, schema: 'string', data: 'object' },
      required: ['janus', 'transaction', 'schema', 'data'],
    },
    { obj: base('destroy_session', { session_id: s }), fields: sess, required: ['janus', 'transaction'] },
    { obj: base('list_handles', { session_id: s }), fields: sess, required: ['janus', 'transaction'] },
    // session_id is not mutated here: an id Janus ignores would turn this into the global verb.
    {
      obj: base('set_session_timeout', { session_id: s, timeout: 1 }),
      fields: { ...env, timeout: 'int' },
      required: ['janus', 'transaction', 'timeout'],
    },
    { obj: base('detach_handle', { session_id: s, handle_id: h }), fields: hand, required: ['janus', 'transaction'] },
    { obj: base('hangup_webrtc', { session_id: s, handle_id: h }), fields: hand, required: ['janus', 'transaction'] },
    {
      obj: base('handle_info', { session_id: s, handle_id: h }),
      fields: { ...hand, plugin_only: 'bool' },
      required: ['janus', 'transaction'],
    },
  ];
}

/** A semantically wrong but well-typed request to the Janus API, with its code. */
function janusSemantic(r: R, v: Victims): { obj: Json; codes: number[] } {
  const i = int(r, 0, v.sessions.length - 1);
  const s = v.sessions[i]!;
  const h = v.handles[i]!;
  const otherH = v.handles[(i + 1) % v.handles.length]!;
  const t = `fs-${int(r, 0, 1e9)}`;
  const ghost = notIn(r, v.sessions);
  const a = v.apisecret;
  const cases: (() => { obj: Json; codes: number[] })[] = [
    () => ({
      obj: {
        janus: pick(r, ['keepalive', 'destroy', 'claim', 'attach']),
        transaction: t,
        apisecret: a,
        session_id: ghost,
        plugin: 'janus.plugin.echotest',
      },
      codes: [458],
    }),
    () => ({
      obj: {
        janus: pick(r, ['message', 'detach', 'hangup', 'trickle']),
        transaction: t,
        apisecret: a,
        session_id: ghost,
        handle_id: h,
        body: {},
        candidate: { completed: true },
      },
      codes: [458],
    }),
    () => ({
      obj: {
        janus: pick(r, ['message', 'detach', 'hangup', 'trickle']),
        transaction: t,
        apisecret: a,
        session_id: s,
        handle_id: r() < 0.5 ? otherH : notIn(r, v.handles),
        body: {},
        candidate: { completed: true },
      },
      codes: [459],
    }),
    // session_id 0 is "no session" in janus.c (→ 457 at the root); negative ids find nothing (458).
    () => ({
      obj: {
        janus: pick(r, ['keepalive', 'destroy', 'detach']),
        transaction: t,
        apisecret: a,
        session_id: pick(r, [0, -1, -s]),
      },
      codes: [457, 458],
    }),
    () => ({
      obj: {
        janus: pick(r, ['detach', 'message']),
        transaction: t,
        apisecret: a,
        session_id: s,
        handle_id: pick(r, [0, -1, -h]),
        body: {},
      },
      codes: [457, 458, 459],
    }),
    () => ({
      obj: { janus: 'keepalive', transaction: t, apisecret: a, session_id: pick(r, [2 ** 60, 2 ** 53 + 2, 1e20]) },
      codes: [457, 458, 467],
    }),
    () => ({
      obj: {
        janus: 'attach',
        transaction: t,
        apisecret: a,
        session_id: s,
        plugin: pick(r, [
          'janus.plugin.fuzz-nope',
          '',
          'JANUS.PLUGIN.ECHOTEST',
          'janus.plugin.',
          'fuzz.' + randomString(r),
        ]),
      },
      codes: [460],
    }),
    () => ({
      obj: {
        janus: pick(r, ['message', 'detach', 'hangup', 'trickle']),
        transaction: t,
        apisecret: a,
        session_id: s,
        body: {},
        candidate: { completed: true },
      },
      codes: [457],
    }),
    // (keepalive and claim do not look at the handle in janus.c, so only attach/destroy are wrong here)
    () => ({
      obj: {
        janus: pick(r, ['attach', 'destroy']),
        transaction: t,
        apisecret: a,
        session_id: s,
        handle_id: h,
        plugin: 'janus.plugin.echotest',
      },
      codes: [457],
    }),
    () => ({
      obj: {
        janus: pick(r, ['keepalive', 'attach', 'destroy', 'detach', 'message']),
        transaction: t,
        apisecret: a,
        plugin: 'janus.plugin.echotest',
        body: {},
      },
      codes: [457],
    }),
    () => ({
      obj: { janus: 'create', transaction: t, apisecret: a, id: v.sessions[int(r, 0, v.sessions.length - 1)] },
      codes: [468],
    }),
    () => ({
      obj: {
        janus: 'message',
        transaction: t,
        apisecret: a,
        session_id: s,
        handle_id: h,
        body: {},
        jsep: { type: pick(r, ['foo', 'pranswer', 'rollback', '']), sdp: 'v=0\r\n' },
      },
      codes: [464],
    }),
    () => ({
      obj: {
        janus: 'message',
        transaction: t,
        apisecret: a,
        session_id: s,
        handle_id: h,
        body: {},
        jsep: { type: 'offer', sdp: pick(r, ['', 'garbage', 'x=0', randomString(r)]) },
      },
      codes: [465],
    }),
    () => ({
      obj: {
        janus: 'message',
        transaction: t,
        apisecret: a,
        session_id: s,
        handle_id: h,
        body: {},
        jsep: {
          type: 'answer',
          sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n',
        },
      },
      codes: [469],
    }),
    () => ({
      obj: {
        janus: 'message',
        transaction: t,
        apisecret: a,
        session_id: s,
        handle_id: h,
        body: {},
        jsep: pick(r, [{ type: 'offer' }, { sdp: 'v=0' }, {}]),
      },
      codes: [456],
    }),
    () => ({
      obj: {
        janus: 'trickle',
        transaction: t,
        apisecret: a,
        session_id: s,
        handle_id: h,
        candidate: { completed: true },
        candidates: [],
      },
      codes: [454],
    }),
    () => ({ obj: { janus: 'trickle', transaction: t, apisecret: a, session_id: s, handle_id: h }, codes: [456] }),
    () => ({ obj: { janus: 'create', transaction: t, apisecret: a, session_id: s }, codes: [453, 457] }),
  ];
  return pick(r, cases)();
}

function adminSemantic(r: R, v: Victims): { obj: Json; codes: number[] } {
  const i = int(r, 0, v.sessions.length - 1);
  const s = v.sessions[i]!;
  const h = v.handles[i]!;
  const otherH = v.handles[(i + 1) % v.handles.length]!;
  const ghost = notIn(r, v.sessions);
  const base = (janus: string, extra: Json = {}): Json => ({
    janus,
    transaction: `fs-${int(r, 0, 1e9)}`,
    admin_secret: v.adminSecret,
    ...extra,
  });
  const cases: (() => { obj: Json; codes: number[] })[] = [
    () => ({ obj: base(pick(r, ['destroy_session', 'list_handles']), { session_id: ghost }), codes: [458] }),
    () => ({ obj: base('set_session_timeout', { session_id: ghost, timeout: 5 }), codes: [458] }),
    () => ({
      obj: base(pick(r, ['destroy_session', 'list_handles']), { session_id: pick(r, [0, -1, -s]) }),
      codes: [457, 458],
    }),
    () => ({
      obj: base(pick(r, ['handle_info', 'detach_handle', 'hangup_webrtc']), {
        session_id: s,
        handle_id: r() < 0.5 ? otherH : notIn(r, v.handles),
      }),
      codes: [459],
    }),
    () => ({
      obj: base(pick(r, ['handle_info', 'detach_handle', 'hangup_webrtc']), { session_id: ghost, handle_id: h }),
      codes: [458],
    }),
    () => ({
      obj: base(pick(r, ['detach_handle', 'handle_info']), { session_id: s, handle_id: pick(r, [0, -1]) }),
      codes: [457, 458, 459],
    }),
    () => ({
      obj: base(pick(r, ['list_sessions', 'get_status', 'accept_new_sessions', 'custom_event', 'add_token']), {
        session_id: s,
        accept: false,
        schema: 'x',
        data: {},
      }),
      codes: [457],
    }),
    () => ({ obj: base(pick(r, ['handle_info', 'detach_handle', 'hangup_webrtc']), { session_id: s }), codes: [457] }),
    () => ({
      obj: base(pick(r, ['destroy_session', 'list_handles', 'list_sessions']), { session_id: s, handle_id: h }),
      codes: [457],
    }),
    () => ({ obj: base(pick(r, ['handle_info', 'detach_handle', 'destroy_session']), {}), codes: [457] }),
    () => ({
      obj: base('message_plugin', {
        plugin: pick(r, ['janus.plugin.fuzz-nope', '', 'fuzz.' + randomString(r)]),
        request: {},
      }),
      codes: [460],
    }),
    // The echotest's admin hook sends back what it got (as Janus's), so only a malformed request fails.
    () => ({
      obj: base('message_plugin', { plugin: 'janus.plugin.echotest', request: pick(r, ['x', 5, true]) }),
      codes: [467],
    }),
    () => ({
      obj: base(pick(r, ['add_token', 'allow_token', 'disallow_token', 'remove_token', 'list_tokens']), {
        token: 'x',
        plugins: ['janus.plugin.echotest'],
      }),
      codes: [490],
    }),
    () => ({ obj: base('set_session_timeout', { timeout: pick(r, [-2, -100]) }), codes: [467] }),
    () => ({ obj: base('set_log_level', { level: pick(r, [-1, 8, 100]) }), codes: [467] }),
    () => ({
      obj: base(pick(r, ['create', 'attach', 'keepalive', 'message']), { session_id: r() < 0.5 ? s : undefined }),
      codes: [453, 457],
    }),
  ];
  return pick(r, cases)();
}

function notIn(r: R, ids: number[]): number {
  for (;;) {
    const x = int(r, 1, 2 ** 52);
    if (!ids.includes(x)) return x;
  }
}

/** Missing or wrong secrets on requests that would otherwise be valid (and often destructive). */
function secretCase(r: R, v: Victims, admin: boolean): { obj: Json; codes: number[] } {
  const i = int(r, 0, v.sessions.length - 1);
  const s = v.sessions[i]!;
  const h = v.handles[i]!;
  const wrong = pick(r, [
    undefined,
    '',
    'wrong',
    v.apisecret + 'x',
    v.adminSecret,
    v.apisecret.toUpperCase(),
    randomString(r),
  ]);
  if (admin) {
    const obj = pick(r, [
      { janus: 'destroy_session', session_id: s },
      { janus: 'detach_handle', session_id: s, handle_id: h },
      { janus: 'list_sessions' },
      { janus: 'accept_new_sessions', accept: false },
      { janus: 'set_session_timeout', timeout: 1 },
      { janus: 'set_session_timeout', timeout: 1, session_id: s },
      { janus: 'custom_event', schema: 'fuzz', data: {} },
      { janus: 'get_status' },
    ]) as Json;
    const out: Json = { ...obj, transaction: `fk-${int(r, 0, 1e9)}` };
    if (wrong !== undefined && wrong !== v.adminSecret) out.admin_secret = wrong;
    else if (wrong === v.adminSecret) out.admin_secret = v.apisecret; // the API secret is not the admin secret
    return { obj: out, codes: [403] };
  }
  const obj = pick(r, [
    { janus: 'create' },
    { janus: 'destroy', session_id: s },
    { janus: 'keepalive', session_id: s },
    { janus: 'attach', session_id: s, plugin: 'janus.plugin.echotest' },
    { janus: 'detach', session_id: s, handle_id: h },
    { janus: 'message', session_id: s, handle_id: h, body: {} },
    { janus: 'claim', session_id: s },
  ]) as Json;
  const out: Json = { ...obj, transaction: `fk-${int(r, 0, 1e9)}` };
  if (wrong !== undefined) out.apisecret = wrong;
  if (r() < 0.3) out.token = randomString(r); // token auth is off: a token opens nothing
  return { obj: out, codes: [403] };
}

/** Allowed codes for a wrong-typed field (janus.c semantics: mistyped ids are ignored, secrets fail auth). */
function wrongTypeCodes(field: string): number[] {
  switch (field) {
    case 'apisecret':
    case 'admin_secret':
      return [403, 467];
    case 'session_id':
      return [457, 458, 467];
    case 'handle_id':
      return [457, 458, 459, 467];
    case 'jsep':
      return [455, 467];
    case 'candidate':
    case 'candidates':
      return []; // any Janus error
    default:
      return [467];
  }
}

function nonObject(r: R): string {
  return pick(r, [
    '[]',
    '[{"janus":"create","transaction":"x"}]',
    '1',
    '-0.5',
    '"create"',
    'null',
    'true',
    'false',
    '[[[]]]',
    '"{\\"janus\\":\\"create\\"}"',
    '1e999',
  ]);
}

function invalidJson(r: R, valid: string): string {
  switch (int(r, 0, 5)) {
    case 0:
      return valid.slice(0, int(r, 1, valid.length - 1));
    case 1:
      return valid + pick(r, ['x', '}', ']', ',', ' 1', '{}', '\u0000']);
    case 2:
      return '[' + valid.slice(1);
    case 3:
      return pick(r, [
        '',
        ' ',
        '\n',
        '{',
        '}',
        '{"janus":',
        "{'janus':'create'}",
        '{janus:"create"}',
        '{"janus":"create",}',
        'NaN',
        'undefined',
        '{"a":1}{"b":2}',
      ]);
    case 4:
      return valid.replace(/"/g, "'");
    default:
      return valid.replace(/:/, '=');
  }
}

function pathFor(obj: Json, r: R, admin: boolean): { path: string; obj: Json } {
  // Sometimes move numeric ids into the path (REST style), as clients do.
  const sid = obj.session_id;
  const hid = obj.handle_id;
  if (typeof sid !== 'number' || !Number.isSafeInteger(sid) || sid <= 0 || r() < 0.4) return { path: '', obj };
  const out = { ...obj };
  const keep = r() < 0.3; // also keep it in the body (same value: no conflict)
  if (!keep) delete out.session_id;
  let path = `/${sid}`;
  if (typeof hid === 'number' && Number.isSafeInteger(hid) && hid > 0 && r() < 0.7) {
    if (!keep) delete out.handle_id;
    path += `/${hid}`;
  }
  void admin;
  return { path, obj: out };
}

/** Builds case number `n` (deterministic from the PRNG state). */
export function makeCase(n: number, r: R, v: Victims, hugeSize: number): FuzzCase {
  const channel = (['http-janus', 'http-admin', 'ws-janus', 'ws-admin'] as const)[n % 4];
  const admin = channel.endsWith('admin');
  const http = channel.startsWith('http');
  const c: FuzzCase = { n, kind: '', channel, method: 'POST', path: '', codes: [], statuses: [] };
  const finishObj = (kind: string, obj: Json, codes: number[], movePath = true) => {
    c.kind = kind;
    c.codes = codes;
    let o = obj;
    if (http && movePath) {
      const p = pathFor(obj, r, admin);
      c.path = p.path;
      o = p.obj;
    }
    if (typeof o.transaction === 'string') c.tx = o.transaction;
    c.body = JSON.stringify(o);
    return c;
  };
  const templates = () => (admin ? adminTemplates(r, v) : janusTemplates(r, v));
  const roll = r();

  if (roll < 0.004) {
    // Over the body limit: a request that would otherwise be valid (create / list_sessions).
    c.kind = 'huge';
    const size = http && r() < 0.2 ? hugeSize * 4 : hugeSize + 1 + int(r, 0, 60_000);
    const head = admin
      ? `{"janus":"list_sessions","transaction":"h","admin_secret":"${v.adminSecret}","pad":"`
      : `{"janus":"create","transaction":"h","apisecret":"${v.apisecret}","pad":"`;
    c.body = head + 'a'.repeat(size - head.length - 2) + '"}';
    c.codes = [450];
    return c;
  }
  if (roll < 0.08) {
    c.kind = 'binary';
    c.body = randomBytes(r, int(r, 1, 400));
    c.codes = [454, 455, 456];
    return c;
  }
  if (roll < 0.14) {
    c.kind = 'invalid-json';
    c.body = invalidJson(r, JSON.stringify(pick(r, templates()).obj));
    c.codes = [454];
    return c;
  }
  if (roll < 0.18) {
    // jansson takes only an object or array at top level (a scalar is 454); an array is 455 over
    // HTTP, and over WebSocket reaches the core without a transaction (456).
    c.kind = 'non-object';
    c.body = nonObject(r);
    c.codes = [454, 455, 456];
    return c;
  }
  if (roll < 0.2) {
    // Deep nesting inside a field that must be a string.
    c.kind = 'deep';
    const depth = int(r, 100, 20_000);
    const key = admin ? 'admin_secret' : 'janus';
    const base = admin
      ? { janus: 'list_sessions', transaction: 'd', admin_secret: v.adminSecret }
      : { janus: 'create', transaction: 'd', apisecret: v.apisecret };
    const json = JSON.stringify({ ...base, [key]: 0 }).replace(
      `"${key}":0`,
      `"${key}":${'['.repeat(depth)}${']'.repeat(depth)}`,
    );
    c.body = json;
    c.codes = [454, 467];
    c.tx = 'd';
    return c;
  }
  if (roll < 0.22) {
    c.kind = 'proto';
    const o = admin
      ? `{"__proto__":{"janus":"list_sessions"},"transaction":"p","admin_secret":"${v.adminSecret}"}`
      : `{"__proto__":{"janus":"create"},"transaction":"p","apisecret":"${v.apisecret}"}`;
    c.body = o;
    c.codes = [456];
    c.tx = 'p';
    return c;
  }
  if (http && roll < 0.3) {
    return httpPathCase(c, r, v, admin);
  }
  if (roll < 0.48) {
    const t = pick(r, templates());
    const fields = Object.keys(t.fields);
    const f = pick(r, fields);
    const obj = { ...t.obj, [f]: wrongValue(r, t.fields[f]!) };
    // A wrong-typed transaction cannot be echoed.
    return finishObj(`wrong-type:${String(t.obj.janus)}.${f}`, obj, wrongTypeCodes(f));
  }
  if (roll < 0.56) {
    const t = pick(r, templates());
    const f = pick(r, t.required);
    const obj = { ...t.obj };
    delete obj[f];
    return finishObj(`missing:${String(t.obj.janus)}.${f}`, obj, [456]);
  }
  if (roll < 0.64) {
    const t = pick(r, templates());
    const verb = unknownVerb(r, admin ? [...KNOWN_ADMIN_VERBS] : [...KNOWN_JANUS_VERBS]);
    const obj: Json = { ...t.obj, janus: verb };
    const sessionless = obj.session_id === undefined && obj.handle_id === undefined;
    // The Admin API answers an unknown verb as "Unhandled request at this path" (457) at any level.
    return finishObj('unknown-verb', obj, admin ? [453, 457] : sessionless ? [457] : [453]);
  }
  if (roll < 0.8) {
    const s = admin ? adminSemantic(r, v) : janusSemantic(r, v);
    return finishObj(`semantic:${String(s.obj.janus)}`, s.obj, s.codes);
  }
  const s = secretCase(r, v, admin);
  return finishObj(`secret:${String(s.obj.janus)}`, s.obj, s.codes);
}

/** HTTP-only: odd methods and paths, GETs and path/body conflicts. */
function httpPathCase(c: FuzzCase, r: R, v: Victims, admin: boolean): FuzzCase {
  const i = int(r, 0, v.sessions.length - 1);
  const s = v.sessions[i]!;
  const h = v.handles[i]!;
  const ghost = notIn(r, v.sessions);
  const t = `fp-${int(r, 0, 1e9)}`;
  const secret = admin ? { admin_secret: v.adminSecret } : { apisecret: v.apisecret };
  switch (int(r, 0, 7)) {
    case 0:
      c.kind = 'method';
      c.method = pick(r, ['PUT', 'DELETE', 'PATCH']);
      c.path = pick(r, ['', `/${s}`, `/${s}/${h}`, `/x${randomString(r, 8).replace(/[^a-zA-Z0-9_-]/g, '')}`]);
      c.body = JSON.stringify({ janus: 'destroy', transaction: t, session_id: s, ...secret });
      c.codes = [450];
      c.statuses = [404, 405];
      return c;
    case 1:
      c.kind = 'too-many-components';
      c.method = pick(r, ['GET', 'POST']);
      c.path = pick(r, [`/${s}/${h}/x`, '/a/b/c', `/${s}/${h}/1/2/3`]);
      c.body = c.method === 'POST' ? JSON.stringify({ janus: 'keepalive', transaction: t, ...secret }) : undefined;
      c.codes = admin ? [450] : [];
      c.statuses = [404];
      return c;
    case 2:
      c.kind = 'get';
      c.method = 'GET';
      if (admin) {
        c.path = pick(r, ['', `/${s}`, `/${s}/${h}`, '/x']);
        c.codes = [450];
        c.statuses = [404, 405];
      } else {
        c.path = pick(r, [
          `/${ghost}`,
          `/${ghost}?maxev=5`,
          '/abc',
          `/-${s}`,
          `/0`,
          `/${s}?apisecret=wrong`,
          `/${s}?maxev=10&apisecret=`,
          `/${ghost}?apisecret=${v.apisecret}`,
          '',
        ]);
        c.codes = [450];
        c.statuses = [403, 404];
      }
      return c;
    case 3:
      c.kind = 'get-redirect';
      c.method = 'GET';
      c.path = admin ? `/${s}/${h}` : `/${pick(r, [s, ghost])}/${pick(r, [h, 5, 0])}`;
      c.codes = [450];
      c.statuses = admin ? [404, 405] : [302];
      return c;
    case 4: {
      c.kind = 'path-conflict';
      const other = pick(r, [ghost, s + 1, 0, -1]);
      c.path = `/${s}`;
      c.body = JSON.stringify(
        admin
          ? { janus: 'destroy_session', transaction: t, session_id: other, ...secret }
          : { janus: 'destroy', transaction: t, session_id: other, ...secret },
      );
      c.codes = [457];
      c.tx = t;
      return c;
    }
    case 5: {
      c.kind = 'path-handle-conflict';
      c.path = `/${s}/${h}`;
      const other = pick(r, [h + 1, 0, -5]);
      c.body = JSON.stringify(
        admin
          ? { janus: 'detach_handle', transaction: t, handle_id: other, ...secret }
          : { janus: 'detach', transaction: t, handle_id: other, ...secret },
      );
      c.codes = [457];
      c.tx = t;
      return c;
    }
    case 6:
      c.kind = 'path-not-a-number';
      c.path = pick(r, ['/abc', '/1.5', '/0x10', '/-1', `/${s}abc`, `/${'9'.repeat(30)}`]);
      c.body = JSON.stringify(
        admin
          ? { janus: 'destroy_session', transaction: t, ...secret }
          : { janus: 'destroy', transaction: t, ...secret },
      );
      // Not an id: "no session" (457 for a session verb) or "no such session" (458), or HTTP 404.
      c.codes = [457, 458];
      c.statuses = [404];
      c.tx = t;
      return c;
    default:
      c.kind = 'empty-body';
      c.path = pick(r, ['', `/${s}`, `/${s}/${h}`]);
      c.body = pick(r, ['', undefined]);
      c.codes = [454];
      return c;
  }
}
