/**
 * A bridged participant's leg between regions (RELAY_REGIONS=eu,us) through the whole stack: both
 * ends are keyed for SRTP and nothing fails authentication while the two participants hear each
 * other; and the leg, a peer without PeerConnection that the edge's link tracks, outlives the
 * reconciliation's grace period (15 s) with both relays' digests agreeing with the edge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_PEER_GRACE_MS } from '../../edge/relays/peerReconciliation.js';
import { waitFor } from '../relay/support/client.js';
import type { Stack } from '../support/stack.js';
import { AbRegions } from './support/abRegions.js';

const HEARD = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Resources {
  audiobridge: { rtpSockets: number; legSrtpKeyed: number; legSrtpDropped: number };
}

describe('AudioBridge legs between regions', () => {
  const fixture = new AbRegions();
  let stack: Stack;
  const resources = async (region: string) => (await fixture.resources<Resources>(region)).audiobridge;
  const join = async (room: number, id: number, region: string, freq: number) =>
    (await fixture.join(room, id, region, freq)).v;

  beforeAll(async () => {
    ({ stack } = await fixture.start());
  }, 120_000);
  afterAll(() => fixture.stop());

  it('the leg is SRTP both ways and outlives the reconciliation grace period', async () => {
    const room = 7_000_000 + Math.floor(Math.random() * 1e6);
    const admin = fixture.admin;
    await admin.sync({ request: 'create', room });
    const before = { eu: await resources('eu'), us: await resources('us') };
    const a = await join(room, 1, 'eu', 440);
    const c = await join(room, 2, 'us', 660);
    await waitFor(() => a.level(660) > HEARD && c.level(440) > HEARD, 10_000, 'A and the bridged C hear each other');
    const eu = await resources('eu');
    const us = await resources('us');
    // the home leg (eu) and the bridge (us) were keyed; nothing of theirs failed authentication
    expect(eu.legSrtpKeyed - before.eu.legSrtpKeyed).toBe(1);
    expect(us.legSrtpKeyed - before.us.legSrtpKeyed).toBe(1);
    expect(eu.legSrtpDropped).toBe(before.eu.legSrtpDropped);
    expect(us.legSrtpDropped).toBe(before.us.legSrtpDropped);
    expect(eu.rtpSockets).toBe(1);
    // past the grace, an edge that did not know the leg would have closed it on the relay
    await sleep(UNKNOWN_PEER_GRACE_MS + 5_000);
    expect((await resources('eu')).rtpSockets).toBe(1);
    await waitFor(() => a.level(660) > HEARD && c.level(440) > HEARD, 3_000, 'A and C still hear each other');
    expect(stack.output()).not.toContain('relay peers differ from the link');
  }, 90_000);
});
