/** Runtime settings an admin can change, owned by the core coordinator and cached by every shard. */
export interface SharedSettings {
  version: number;
  sessionTimeout: number;
  acceptNewSessions: boolean;
  tokens: Record<string, string[]>;
}
