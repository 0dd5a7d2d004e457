import { z } from 'zod';

/** `WHIP_ICE_SERVERS`: a JSON array of RTCIceServer-like entries handed to WHIP/WHEP clients. */
const iceServersSchema = z.array(
  z.object({
    urls: z.union([z.string().regex(/^(stun|stuns|turn|turns):[^\s<>"]+$/), z.array(z.string()).min(1)]),
    username: z.string().optional(),
    credential: z.string().optional(),
  }),
);

const quoted = (v: string) => `"${v.replace(/["\\]/g, '')}"`;

/**
 * The `Link: <url>; rel="ice-server"` headers of RFC 9725 §4.6 (with `username`, `credential` and
 * `credential-type: "password"` for TURN). None configured: none sent. A value that does not parse
 * is refused loudly rather than half used.
 */
export function iceServerLinks(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const servers = iceServersSchema.parse(JSON.parse(raw));
  const links: string[] = [];
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      if (!/^(stun|stuns|turn|turns):[^\s<>"]+$/.test(url)) throw new Error(`WHIP_ICE_SERVERS: bad url ${url}`);
      let link = `<${url}>; rel="ice-server"`;
      if (s.username !== undefined) link += `; username=${quoted(s.username)}`;
      if (s.credential !== undefined) link += `; credential=${quoted(s.credential)}; credential-type="password"`;
      links.push(link);
    }
  }
  return links;
}
