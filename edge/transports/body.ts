import { JanusApiError, JanusError } from '../../shared/janus/errors.js';

/**
 * Reads a request body as a JSON object, the way Janus's HTTP transport judges it: too large → 450,
 * not JSON → 454, not an object → 455. The size limit is enforced while streaming, so a huge body
 * is never buffered whole.
 */
export async function readJsonObject(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > maxBytes)
    throw new JanusApiError(JanusError.TRANSPORT_SPECIFIC, `Request body too large (max ${maxBytes} bytes)`);
  const reader = req.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new JanusApiError(JanusError.TRANSPORT_SPECIFIC, `Request body too large (max ${maxBytes} bytes)`);
      }
      chunks.push(value);
    }
  }
  const text = new TextDecoder().decode(concat(chunks, size));
  return parseJsonObject(text);
}

/**
 * Parses a request the way Janus's JSON parser (jansson without JSON_DECODE_ANY) does: only an object
 * or an array is JSON at top level (else 454); an array is not a request object (455 over HTTP; the
 * WebSocket transport passes it on, where it lacks a transaction: 456).
 */
/** jansson refuses JSON nested deeper than this; so do we, before anything copies the value. */
const MAX_DEPTH = 2048;

/** The deepest bracket nesting of a JSON text (brackets inside strings do not count). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

export function parseJsonObject(text: string, transport: 'http' | 'ws' = 'http'): Record<string, unknown> {
  // Deeper than MAX_DEPTH takes more than MAX_DEPTH characters: short requests skip the scan.
  if (text.length > MAX_DEPTH && nestingDepth(text) > MAX_DEPTH)
    throw new JanusApiError(JanusError.INVALID_JSON, `JSON error: on line 1: too big nesting depth (max ${MAX_DEPTH})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new JanusApiError(JanusError.INVALID_JSON, `JSON error: on line 1: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object') {
    throw new JanusApiError(JanusError.INVALID_JSON, 'JSON error: on line 1: expected an object or an array');
  }
  if (Array.isArray(parsed)) {
    if (transport === 'ws')
      throw new JanusApiError(JanusError.MISSING_MANDATORY_ELEMENT, 'Missing mandatory element (transaction)');
    throw new JanusApiError(JanusError.INVALID_JSON_OBJECT, 'JSON error: not an object');
  }
  return parsed as Record<string, unknown>;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const [first] = chunks;
  if (chunks.length === 1 && first) return first;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** A path component that must be a session or handle id; anything else is not an id (0). */
export function pathId(s: string): number {
  if (!/^\d{1,16}$/.test(s)) return 0;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : 0;
}

/**
 * Path ids go into the body; a body id that disagrees with the path is 457, as in janus_http.c (whose
 * Janus API names the id, "Conflicting session ID", and whose Admin API does not).
 */
export function mergePathIds(
  body: Record<string, unknown>,
  sessionPart: string | undefined,
  handlePart: string | undefined,
  nameTheId: boolean,
): void {
  const put = (key: 'session_id' | 'handle_id', part: string | undefined, what: string) => {
    if (part === undefined) return;
    const id = pathId(part);
    if (body[key] !== undefined && body[key] !== id)
      throw new JanusApiError(
        JanusError.INVALID_REQUEST_PATH,
        `Conflicting ${nameTheId ? `${what} ` : ''}ID (payload and path)`,
      );
    body[key] = id;
  };
  put('session_id', sessionPart, 'session');
  put('handle_id', handlePart, 'handle');
}
