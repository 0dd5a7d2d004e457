import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { RecordingClosedEvent } from '../../../shared/control/recording.js';
import type { Relay } from '../../../relay/relay.js';
import { TestEdge, type RelayLink } from '../support/edge.js';
import { startRelay } from '../support/relay.js';

export const SECRET = 'test-secret-0123456789';

export interface RecordingFixture {
  edge: TestEdge;
  relay: Relay;
  link: RelayLink;
  /** A fresh directory for the file's recordings (the relay's RELAY_RECORDINGS_ROOT). */
  root: string;
  track<T extends { close(): Promise<void> }>(c: T): T;
}

/** A test edge and an in-process relay on its own ICE range whose recordings go under a temporary root. */
export function recordingFixture(icePorts: [number, number]): RecordingFixture {
  const cleanup: Array<() => Promise<void>> = [];
  const root = mkdtempSync(join(tmpdir(), 'rec-test-'));
  const fx = {
    root,
    track<T extends { close(): Promise<void> }>(c: T): T {
      cleanup.push(() => c.close());
      return c;
    },
  } as RecordingFixture;
  beforeAll(async () => {
    fx.edge = await new TestEdge({ secret: SECRET }).start();
    fx.relay = await startRelay(fx.edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ICE_PORT_MIN: String(icePorts[0]),
      RELAY_ICE_PORT_MAX: String(icePorts[1]),
      RELAY_RECORDINGS_ROOT: root,
    });
    fx.link = await fx.edge.nextLink();
    await fx.relay.control.whenReady();
  });
  afterAll(async () => {
    for (const f of cleanup.splice(0)) await f().catch(() => undefined);
    await fx.relay?.stop();
    await fx.edge?.close();
    rmSync(root, { recursive: true, force: true });
  });
  return fx;
}

/** The `recording` events the relay sent for one peer. */
export function recordingEvents(link: RelayLink, session: number, handle: number): RecordingClosedEvent[] {
  return link.eventsFor(session, handle).filter((e): e is RecordingClosedEvent => e.kind === 'recording');
}

/** This process's open file descriptors that point at `.mjr` files. */
export function openMjrFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.includes('.mjr')) out.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}
