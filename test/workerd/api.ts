import { SELF } from 'cloudflare:test';

/** Small helpers for coordinator tests: the Janus and admin APIs through the Worker's own fetch. */
let tx = 0;
export async function janus(path: string, body: Record<string, unknown>): Promise<any> {
  const res = await SELF.fetch(`http://edge${path}`, {
    method: 'POST',
    body: JSON.stringify({ transaction: `t${++tx}`, ...body }),
  });
  return res.json();
}

export async function admin(body: Record<string, unknown>, path = '/admin'): Promise<any> {
  const res = await SELF.fetch(`http://edge${path}`, {
    method: 'POST',
    body: JSON.stringify({ transaction: `a${++tx}`, admin_secret: 'janusoverlord', ...body }),
  });
  return res.json();
}

export async function createSession(): Promise<number> {
  const r = await janus('/janus', { janus: 'create' });
  if (r.janus !== 'success') throw new Error(JSON.stringify(r));
  return r.data.id;
}

export async function attach(sessionId: number, plugin = 'janus.plugin.echotest'): Promise<number> {
  const r = await janus(`/janus/${sessionId}`, { janus: 'attach', plugin });
  if (r.janus !== 'success') throw new Error(JSON.stringify(r));
  return r.data.id;
}

export async function listSessions(): Promise<number[]> {
  const r = await admin({ janus: 'list_sessions' });
  return r.sessions;
}
