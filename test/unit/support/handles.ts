/** What the in-memory room harnesses (VideoRoom, AudioBridge) share: participant handles, and waiting for detached work. */

let nextHandle = 1;

/** A fresh participant handle, its ids used by no other handle of the run. */
export function handle(): { sessionId: number; handleId: number } {
  const id = nextHandle++;
  return { sessionId: 1000 + id, handleId: 5000 + id };
}

/** Lets fire-and-forget work (relay commands not waited for) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
