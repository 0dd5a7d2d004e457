/**
 * Whether an SDP carries `kind` in `direction`: an m-line of it that is neither rejected (port 0) nor
 * inactive. What Record&Play's event-handler events report: the relay's recvonly answer says which kinds
 * a recorder records, its sendonly offer which kinds a playout plays.
 */
export function carries(sdp: string, kind: 'audio' | 'video', direction: 'recvonly' | 'sendonly'): boolean {
  return sdp
    .split(/\r?\nm=/)
    .slice(1)
    .some((section) => new RegExp(`^${kind} [1-9]`).test(section) && new RegExp(`\\r?\\na=${direction}`).test(section));
}
