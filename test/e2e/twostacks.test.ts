import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JanusWs } from '../support/janusWs.js';
import { startStack } from '../support/stack.js';

async function listSessions(adminUrl: string): Promise<number[]> {
  const r = (await (
    await fetch(adminUrl, {
      method: 'POST',
      body: JSON.stringify({ janus: 'list_sessions', transaction: 'l', admin_secret: 'janusoverlord' }),
    })
  ).json()) as { sessions: number[] };
  return r.sessions;
}

describe('two stacks on one machine', () => {
  it('run side by side on different PORTs without sharing state, relays or ports', async () => {
    const [a, b] = await Promise.all([startStack(), startStack()]);
    try {
      expect(a.port).not.toBe(b.port);
      const ja = await JanusWs.connect(a.wsUrl);
      const jb = await JanusWs.connect(b.wsUrl);
      const sa = await ja.createSession();
      const sb = await jb.createSession();
      expect(await listSessions(a.adminUrl)).toEqual([sa]);
      expect(await listSessions(b.adminUrl)).toEqual([sb]);
      // Each stack's relay registered with its own edge.
      const ha = (await (await fetch(`${a.baseUrl}/health`)).json()) as { relays: Array<{ relayId: string }> };
      const hb = (await (await fetch(`${b.baseUrl}/health`)).json()) as { relays: Array<{ relayId: string }> };
      expect(ha.relays.map((r) => r.relayId)).toEqual([a.relays[0]!.id]);
      expect(hb.relays.map((r) => r.relayId)).toEqual([b.relays[0]!.id]);
      expect(a.relays[0]!.id).not.toBe(b.relays[0]!.id);
      await ja.close();
      await jb.close();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);

  it('stop on SIGTERM the way start.ts says: exit 0, relays gone, the edge state directory removed', async () => {
    const stack = await startStack();
    const stateDir = resolve(import.meta.dirname, '../../.tmp', `edge-${stack.port}`);
    expect(existsSync(stateDir)).toBe(true);
    const relayPids = stack.relays.map((r) => r.pid);
    // Miniflare's own signal handler used to exit at once (143), before the relays hung up and the
    // state directory was removed: every test stack left tens of MB behind.
    expect(await stack.stop()).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
    for (const pid of relayPids) expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
