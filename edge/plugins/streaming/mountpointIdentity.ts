import type { CreateRequest, MountpointId } from './schemas.js';
import type { MountpointState } from './state.js';

/** What a mountpoint is called and who may see, watch and manage it, as `create` named it. */
export type MountpointIdentity = Pick<
  MountpointState,
  'id' | 'name' | 'description' | 'metadata' | 'is_private' | 'secret' | 'pin' | 'enabled'
>;

/**
 * The identity fields every kind of mountpoint takes from `create` (Janus: the description defaults
 * to the name, the name to `defaultName`); optional ones are left out when not given.
 */
export function mountpointIdentity(c: CreateRequest, id: MountpointId, defaultName: string): MountpointIdentity {
  const name = c.name ?? defaultName;
  return {
    id,
    name,
    description: c.description ?? name,
    ...(c.metadata !== undefined ? { metadata: c.metadata } : {}),
    is_private: c.is_private ?? false,
    ...(c.secret !== undefined ? { secret: c.secret } : {}),
    ...(c.pin !== undefined ? { pin: c.pin } : {}),
    enabled: true,
  };
}
