import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordingClosedEvent } from '../../../shared/control/recording.js';
import type { RelayLink } from '../support/edge.js';
import { relayFixture, type RelayFixture } from '../support/relayFixture.js';

export { SECRET } from '../support/relayFixture.js';

export interface RecordingFixture extends RelayFixture {
  /** A fresh directory for the file's recordings (the relay's RELAY_RECORDINGS_ROOT). */
  root: string;
}

/** A test edge and an in-process relay on its own ICE range whose recordings go under a temporary root. */
export function recordingFixture(icePorts: [number, number]): RecordingFixture {
  const root = mkdtempSync(join(tmpdir(), 'rec-test-'));
  const fx = relayFixture(icePorts, {
    env: { RELAY_RECORDINGS_ROOT: root },
    afterStop: () => rmSync(root, { recursive: true, force: true }),
  });
  return Object.assign(fx, { root });
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
