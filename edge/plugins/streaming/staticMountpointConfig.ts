import { z } from 'zod';
import { StreamingException } from './errors.js';
import { checkRtspCreate } from './rtspMountpoints.js';
import { createSchema, mountpointIdSchema, type MountpointId } from './schemas.js';
import { checkCreateSupported } from './unsupported.js';

/**
 * Mountpoints from configuration, as the `<name>: { type = "rtp" … }` sections of Janus's
 * janus.plugin.streaming.jcfg: each is a `create` request (`id` required, no `admin_key`), checked at
 * load as `create` would check it, so that a bad configuration fails the start instead of half-applying.
 */
const staticMountpointSchema = createSchema.omit({ admin_key: true }).extend({ id: mountpointIdSchema }).passthrough();
export type StaticMountpointConfig = z.infer<typeof staticMountpointSchema>;

/** Configured mountpoints by id. */
export type StaticMountpoints = ReadonlyMap<MountpointId, StaticMountpointConfig>;

export function parseStaticMountpoints(value: unknown): StaticMountpoints {
  if (!Array.isArray(value)) throw new Error('Streaming static mountpoints: expected a JSON array of mountpoints');
  const mounts = new Map<MountpointId, StaticMountpointConfig>();
  value.forEach((entry, i) => {
    const where = `Streaming static mountpoint #${i}`;
    const parsed = staticMountpointSchema.safeParse(entry);
    if (!parsed.success) throw new Error(`${where}: ${z.prettifyError(parsed.error)}`);
    const m = parsed.data;
    if ('admin_key' in m) throw new Error(`${where}: admin_key does not belong in the configuration`);
    if (m.permanent !== undefined) throw new Error(`${where}: permanent does not apply (it is configured)`);
    try {
      if (m.type === 'rtsp') checkRtspCreate(m);
      else checkCreateSupported(m, m);
    } catch (err) {
      const why = err instanceof StreamingException ? `${err.message} (${err.code})` : String(err);
      throw new Error(`${where}: ${why}`, { cause: err });
    }
    if (mounts.has(m.id)) throw new Error(`${where}: mountpoint ${m.id} is configured twice`);
    mounts.set(m.id, m);
  });
  return mounts;
}

/** What a destroyed configured mountpoint leaves behind: the configuration it was created from. */
export const staticMountpointFingerprint = (config: StaticMountpointConfig) => JSON.stringify(config);
