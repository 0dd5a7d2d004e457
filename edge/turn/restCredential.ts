/**
 * The TURN REST API's time-limited credential (draft-uberti-behave-turn-rest, coturn's
 * `use-auth-secret` / `static-auth-secret`, Janus's `turn_rest_api`): the username is
 * `<expiry unix seconds>:<user>`, the password base64(HMAC-SHA1(secret, username)). coturn recomputes
 * it from the username and refuses it once the expiry has passed.
 */
export interface TurnCredential {
  username: string;
  credential: string;
}

export async function restCredential(secret: string, expiresAtSec: number, user: string): Promise<TurnCredential> {
  const username = `${Math.floor(expiresAtSec)}:${user}`;
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(username)));
  let binary = '';
  for (const b of mac) binary += String.fromCharCode(b);
  return { username, credential: btoa(binary) };
}

/** A fresh user part: credentials of different clients differ, and none names the client. */
export function anonymousTurnUser(): string {
  return `edge-${crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;
}
