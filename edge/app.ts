import { Hono } from 'hono';
import { loadConfig } from './config.js';
import { meteringRoute } from './metering/route.js';
import type { Env } from './env.js';
import { adminRoutes } from './transports/adminHttp.js';
import { healthRoutes } from './transports/health.js';
import { janusRoutes } from './transports/janusHttp.js';
import { metrics } from './transports/metrics.js';
import { Stubs } from './stubs.js';
import { relayRoutes } from './transports/relayRoutes.js';
import { cors } from './transports/cors.js';
import { onError, securityHeaders } from './transports/securityHeaders.js';
import { turnCredentialsRoute } from './turn/route.js';
import { whipRoutes } from './whip/routes.js';

/** The Worker's HTTP surface: the Janus API, the admin API, the relays' control sockets, health. */
export const app = new Hono<{ Bindings: Env }>();

app.use('*', securityHeaders);
app.route('/', whipRoutes); // before the API's CORS: WHIP/WHEP answer their own preflights (PATCH, DELETE, Link)
app.use('*', cors);
app.onError(onError);
app.route('/janus', janusRoutes);
app.route('/admin', adminRoutes);
app.route('/relay', relayRoutes);
app.get('/turn-credentials', turnCredentialsRoute);
// Local benchmarks only (bench:cost): refused unless METERING is on.
app.all('/metering', meteringRoute);

app.route('/health', healthRoutes);

app.get('/metrics', async (c) => {
  const counts = await new Stubs(c.env, loadConfig(c.env).shardCount).core().counts();
  return c.text(metrics.render(counts), 200, { 'content-type': 'text/plain; version=0.0.4' });
});
