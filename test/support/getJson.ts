/** HTTP GETs for resource-counting tests. */
import { get as httpGet } from 'node:http';

/**
 * GET as JSON on a fresh connection closed after the reply (no keep-alive): the server's socket count
 * then always includes exactly one connection of ours, the one being answered.
 */
export function getJsonOnFreshConnection(url: string, authorization?: string): Promise<Record<string, any>> {
  const headers: Record<string, string> = { connection: 'close', ...(authorization ? { authorization } : {}) };
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, any>);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
  });
}
