import { DIRECTORY_REFRESH_MS } from './directory.js';

/** A CPU change smaller than this (a tenth of a core) is noise, not worth a report. */
export const CPU_STEP = 0.1;

/**
 * Which of a relay's heartbeats its link forwards to the core coordinator's directory. The directory
 * reads only the relay's load, peer count and CPU (placement) and when it last heard of it (an entry not
 * refreshed for a while is not offered), so a heartbeat is forwarded when the load or the peer count
 * changed, when the CPU moved by CPU_STEP, when the directory may have counted a placement of its own on this relay (`pick` bumps
 * its count until a report corrects it), or DIRECTORY_REFRESH_MS after the last report. The link
 * itself still reads every heartbeat (liveness, peer reconciliation).
 */
export class HeartbeatForwarding {
  private last: { load: number; peers: number; cpu: number; at: number } | undefined;
  private placed = false;

  /** The directory was told this (a registration, or a forwarded heartbeat). */
  reported(load: number, peers: number, now: number, cpu = 0): void {
    this.last = { load, peers, cpu, at: now };
    this.placed = false;
  }

  /** A PeerConnection was asked for on this relay: the directory's count may be off until the next report. */
  placement(): void {
    this.placed = true;
  }

  /** A heartbeat's figures; true when it should go to the directory (then it counts as reported). */
  shouldForward(load: number, peers: number, now: number, cpu = 0): boolean {
    const last = this.last;
    const due =
      !last ||
      this.placed ||
      last.load !== load ||
      last.peers !== peers ||
      Math.abs(last.cpu - cpu) >= CPU_STEP ||
      now - last.at >= DIRECTORY_REFRESH_MS;
    if (due) this.reported(load, peers, now, cpu);
    return due;
  }
}
