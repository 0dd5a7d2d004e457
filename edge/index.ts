import { Hono } from 'hono';
import { loadConfig } from './config.js';
import type { Env } from './env.js';
import { adminRoutes } from './http/adminRoutes.js';
import { janusRoutes } from './http/janusRoutes.js';
import { metrics } from './http/metrics.js';
import { coreStub } from './http/shards.js';
import { relayRoutes } from './http/relayRoutes.js';
import { cors } from './http/cors.js';

export { SessionShard } from './coordinator/SessionShard.js';
export { CoreCoordinator } from './coordinator/CoreCoordinator.js';
export { RelayLink } from './relays/RelayLink.js';
export { VideoRoomDO } from './plugins/videoroom/VideoRoomDO.js';

const app = new Hono<{ Bindings: Env }>();

app.use('*', cors);
app.route('/janus', janusRoutes);
app.route('/admin', adminRoutes);
app.route('/relay', relayRoutes);

app.get('/health', async (c) => {
  const started = Date.now();
  await new Promise((r) => setTimeout(r, 0));
  const core = coreStub(c.env);
  const [counts, relays] = await Promise.all([core.counts(), core.listRelays()]);
  return c.json({ status: 'ok', eventLoopLagMs: Date.now() - started, ...counts, shards: loadConfig(c.env).shardCount, relays });
});

app.get('/metrics', async (c) => {
  const counts = await coreStub(c.env).counts();
  return c.text(metrics.render(counts), 200, { 'content-type': 'text/plain; version=0.0.4' });
});


export default app satisfies ExportedHandler<Env>;
