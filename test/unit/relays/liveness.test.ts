import { describe, expect, it } from 'vitest';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from '../../../shared/control/messages.js';
import { frame, registeredLink, type LinkFixture } from './harness.js';

const STEP_MS = 10;

/**
 * Runs the link for `ms` as the runtime would: time moves in small steps, the alarm fires when it is
 * due (and is cleared first, as a Durable Object's is), and the relay heartbeats every second while
 * `beating`. Returns how many times the alarm fired.
 */
async function run(f: LinkFixture, ms: number, beating: boolean): Promise<number> {
  let fired = 0;
  let nextBeat = f.clock.now() + HEARTBEAT_INTERVAL_MS;
  const end = f.clock.now() + ms;
  while (f.clock.now() < end && !f.link.dropped) {
    f.clock.advance(STEP_MS);
    if (beating && f.clock.now() >= nextBeat) {
      nextBeat += HEARTBEAT_INTERVAL_MS;
      await f.link.message(f.socket, frame({ type: 'heartbeat', load: 0, peers: 0, portsInUse: 0, eventLoopLagMs: 0 }));
    }
    const due = f.storage.alarm;
    if (due !== undefined && due <= f.clock.now()) {
      f.storage.alarm = undefined;
      fired++;
      await f.link.alarm();
    }
  }
  return fired;
}

describe('relay link: liveness alarm', () => {
  it('fires about once per heartbeat timeout while heartbeats arrive, not every 500 ms', async () => {
    const f = await registeredLink();
    const fired = await run(f, 60_000, true);
    expect(f.link.dropped).toBe(false);
    // one per (timeout − heartbeat period) at worst: 30 a minute; a 500 ms check was 120
    expect(fired).toBeLessThanOrEqual(60_000 / (HEARTBEAT_TIMEOUT_MS - HEARTBEAT_INTERVAL_MS));
    expect(fired).toBeGreaterThanOrEqual(60_000 / HEARTBEAT_TIMEOUT_MS - 1);
  });

  it('still drops a relay that falls silent HEARTBEAT_TIMEOUT_MS after its last frame', async () => {
    const f = await registeredLink();
    await run(f, 10_000, true);
    const lastSeen = f.clock.now() - ((f.clock.now() - 1_000_000) % HEARTBEAT_INTERVAL_MS);
    await run(f, 10_000, false);
    expect(f.link.dropped).toBe(true);
    expect(f.socket.closed).toEqual({ code: 1011, reason: 'heartbeat timeout' });
    const droppedAfter = f.clock.now() - lastSeen;
    expect(droppedAfter).toBeGreaterThan(HEARTBEAT_TIMEOUT_MS);
    expect(droppedAfter).toBeLessThanOrEqual(HEARTBEAT_TIMEOUT_MS + STEP_MS);
  });

  it('drops a relay that sends nothing after registering', async () => {
    const f = await registeredLink();
    const registered = f.clock.now();
    await run(f, 10_000, false);
    expect(f.link.dropped).toBe(true);
    expect(f.clock.now() - registered).toBeLessThanOrEqual(HEARTBEAT_TIMEOUT_MS + STEP_MS);
  });
});
