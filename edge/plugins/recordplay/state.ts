/**
 * A handle's session: which recording it plays (and whether the client's answer came, `start`) or,
 * `recorder`, records.
 */
export interface PlayerState {
  recording: number;
  playing: boolean;
  recorder?: true;
}
