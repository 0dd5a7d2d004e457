/**
 * Raw HTTP/1.1 over a TCP socket, for requests no HTTP client would send (malformed framing, absolute
 * request targets, thousands of headers): the bytes go out as given and the reply is parsed loosely.
 */
import { connect } from 'node:net';

export interface RawReply {
  /** 0 when the server closed without a status line. */
  status: number;
  headers: Map<string, string[]>;
  body: string;
  raw: string;
}

/** Sends `request` and reads until the server closes or the reply's Content-Length is complete. */
export function rawRequest(port: number, request: string, host = '127.0.0.1', timeoutMs = 8000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let raw = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(raw));
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete reply within ${timeoutMs} ms: ${JSON.stringify(raw.slice(0, 300))}`));
    }, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      raw += d;
      if (complete(raw)) done();
    });
    socket.on('close', done);
    socket.on('error', (err) => {
      if (raw) return; // a reset after the reply: the reply stands
      clearTimeout(timer);
      reject(err);
    });
    socket.write(request, 'latin1');
  });
}

function complete(raw: string): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const reply = parse(raw);
  if (reply.headers.get('transfer-encoding')?.[0] === 'chunked') return reply.body.endsWith('0\r\n\r\n');
  const length = reply.headers.get('content-length')?.[0];
  return length !== undefined && Buffer.byteLength(reply.body, 'latin1') >= Number(length);
}

function parse(raw: string): RawReply {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  return { status: m ? Number(m[1]) : 0, headers, body: end < 0 ? '' : raw.slice(end + 4), raw };
}

/** The malformed requests the hardening issue found answered 500 (with, once, a file path). */
export function malformedRequests(path: string): Record<string, string> {
  const body = '{"janus":"info","transaction":"malformed"}';
  const n = body.length;
  return {
    'negative Content-Length': `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n${body}`,
    'duplicate Content-Length': `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${n}\r\nContent-Length: ${n + 3}\r\n\r\n${body}`,
    'absolute-URI request line': `POST http://evil.example${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${n}\r\n\r\n${body}`,
    '2,000 headers': `POST ${path} HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v\r\n`).join('')}Content-Length: ${n}\r\n\r\n${body}`,
  };
}

/** Internals a reply must never show: stack frames, file paths, module names. */
export const internals = /\bat .*\(|file:\/\/|node_modules|\/work\/|\.(?:ts|js):\d+|Error:/;
