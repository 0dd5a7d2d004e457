/**
 * The client's address as Cloudflare reports it (`CF-Connecting-IP`, set by the edge network, never
 * taken from the client there). Absent (local runs without the header): no per-address limits apply.
 */
export function clientAddressOf(headers: Headers): string | undefined {
  const ip = headers.get('cf-connecting-ip')?.trim();
  return ip && ip.length <= 64 ? ip : undefined;
}
