import { DIRECTORY_REFRESH_MS } from './directory.js';

/**
 * Which of a relay's heartbeats its link forwards to the core coordinator's directory. The directory
 * reads only the relay's load and peer count (placement) and when it last heard of it (an entry not
 * refreshed for a while is not offered), so a heartbeat is forwarded when the load or the peer count
 * changed, when the directory may have counted a placement of its own on this relay (`pick` bumps
 * its count until a report corrects it), or DIRECTORY_REFRESH_MS after the last report. The link
 * itself still reads every heartbeat (liveness, peer reconciliation).
 */
export class HeartbeatForwarding {
  private last: { load: number; peers: number; at: number } | undefined;
  private placed = false;

  /** The directory was told this (a registration, or a forwarded heartbeat). */
  reported(load: number, peers: number, now: number): void {
    this.last = { load, peers, at: now };
    this.placed = false;
  }

  /** A PeerConnection was asked for on this relay: the directory's count may be off until the next report. */
  placement(): void {
    this.placed = true;
  }

  /** A heartbeat's figures; true when it should go to the directory (then it counts as reported). */
  shouldForward(load: number, peers: number, now: number): boolean {
    const last = this.last;
    const due =
      !last || this.placed || last.load !== load || last.peers !== peers || now - last.at >= DIRECTORY_REFRESH_MS;
    if (due) this.reported(load, peers, now);
    return due;
  }
}
