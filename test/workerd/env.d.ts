import type { Env } from '../../edge/env.js';

declare global {
  namespace Cloudflare {
    interface Env extends import('../../edge/env.js').Env {}
  }
}
declare module 'cloudflare:test' {
  interface ProvidedEnv extends Env {}
}
