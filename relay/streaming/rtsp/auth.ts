import { createHash, randomBytes } from 'node:crypto';

/** RTSP credentials (Janus `rtsp_user`/`rtsp_pwd`, or those in the URL). */
export interface RtspCredentials {
  user: string;
  password: string;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The parameters of a `WWW-Authenticate` challenge (`Digest realm="x", nonce="y"`). */
function challengeParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const m of text.matchAll(/([a-zA-Z]+)=(?:"([^"]*)"|([^,\s]*))/g)) params.set(m[1]!.toLowerCase(), m[2] ?? m[3]!);
  return params;
}

/**
 * Answers the server's challenges (RFC 2617, as RTSP/1.0 uses them): Digest (MD5, with `qop=auth`
 * when offered) is preferred, Basic otherwise. Once challenged, every later request carries an answer.
 */
export class RtspAuthenticator {
  private scheme?: { kind: 'basic' } | { kind: 'digest'; realm: string; nonce: string; qop?: string; opaque?: string };
  private nonceCount = 0;

  constructor(
    private readonly creds: RtspCredentials | undefined,
    private readonly makeCnonce: () => string = () => randomBytes(8).toString('hex'),
  ) {}

  /** Takes the challenges of a 401; false when nothing can answer them (no credentials, unknown scheme). */
  challenge(headers: readonly string[]): boolean {
    if (!this.creds) return false;
    const digest = headers.find((h) => /^digest\s/i.test(h));
    if (digest) {
      const p = challengeParams(digest.slice(7));
      const algorithm = p.get('algorithm');
      if (algorithm && algorithm.toUpperCase() !== 'MD5') return false;
      const qop = p
        .get('qop')
        ?.split(',')
        .map((q) => q.trim())
        .includes('auth')
        ? 'auth'
        : undefined;
      this.scheme = {
        kind: 'digest',
        realm: p.get('realm') ?? '',
        nonce: p.get('nonce') ?? '',
        ...(qop ? { qop } : {}),
        ...(p.has('opaque') ? { opaque: p.get('opaque')! } : {}),
      };
      this.nonceCount = 0;
      return true;
    }
    if (headers.some((h) => /^basic(\s|$)/i.test(h))) {
      this.scheme = { kind: 'basic' };
      return true;
    }
    return false;
  }

  /** The `Authorization` header for a request, once challenged. */
  header(method: string, uri: string): string | undefined {
    const s = this.scheme;
    if (!s || !this.creds) return undefined;
    const { user, password } = this.creds;
    if (s.kind === 'basic') return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const ha1 = md5(`${user}:${s.realm}:${password}`);
    const ha2 = md5(`${method}:${uri}`);
    const fields = [`username="${user}"`, `realm="${s.realm}"`, `nonce="${s.nonce}"`, `uri="${uri}"`];
    if (s.qop) {
      const nc = (++this.nonceCount).toString(16).padStart(8, '0');
      const cnonce = this.makeCnonce();
      fields.push(`qop=${s.qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
      fields.push(`response="${md5(`${ha1}:${s.nonce}:${nc}:${cnonce}:${s.qop}:${ha2}`)}"`);
    } else {
      fields.push(`response="${md5(`${ha1}:${s.nonce}:${ha2}`)}"`);
    }
    if (s.opaque !== undefined) fields.push(`opaque="${s.opaque}"`);
    return `Digest ${fields.join(', ')}`;
  }
}
