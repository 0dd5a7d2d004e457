import { loadConfig } from '../../../relay/config.js';
import { createLogger, type LogLevel } from '../../../relay/logger.js';
import { Relay } from '../../../relay/relay.js';

/** Starts an in-process relay pointed at a test edge (silent unless LOG_LEVEL is set). */
export async function startRelay(edgeUrl: string, env: Record<string, string> = {}): Promise<Relay> {
  const config = loadConfig({
    RELAY_ID: 'test-relay',
    RELAY_SECRET: 'test-secret-0123456789',
    EDGE_URL: edgeUrl,
    RELAY_ICE_PORT_MIN: '41000',
    RELAY_ICE_PORT_MAX: '41999',
    RELAY_STATS_PERIOD: '0',
    ...env,
  });
  config.reconnectMinMs = 50;
  config.reconnectMaxMs = 500;
  const relay = new Relay(
    config,
    createLogger((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'silent', { relay: 'test' }),
  );
  await relay.start();
  return relay;
}
