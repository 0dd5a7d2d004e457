import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { Relay } from './relay.js';

/** Entry point: `tsx relay/main.ts` (configuration from the environment, see config.ts). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: err.message }) + '\n');
      process.exit(2);
    }
    throw err;
  }
  // A closed stdout/stderr (the supervisor went away) must not turn every log line into a new
  // uncaught EPIPE: ignore write errors on them.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const logger = createLogger(config.logLevel, { relay: config.relayId });
  process.on('uncaughtException', (err) => {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    logger.error('uncaught exception', { err });
  });
  process.on('unhandledRejection', (err) => {
    logger.error('unhandled rejection', { err });
  });

  const relay = new Relay(config, logger);
  const httpPort = await relay.start();
  // Always printed (whatever LOG_LEVEL): supervisors and tests read the ephemeral port from it.
  process.stdout.write(
    JSON.stringify({
      event: 'listening',
      relayId: config.relayId,
      httpPort,
      host: config.httpBindAddress,
      iceAddress: config.bindAddress,
      icePortRange: config.icePortRange,
      pid: process.pid,
    }) + '\n',
  );
  logger.info('relay started', { httpPort, edge: config.connectUrl });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, 10_000);
    force.unref();
    relay.stop('Relay shutdown').then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // Started by a supervisor that may be killed outright (npm start, tests): leave with it.
  const parent = Number(process.env.RELAY_EXIT_WITH_PID ?? 0);
  if (parent > 0) {
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        shutdown('SIGTERM');
      }
    }, 1000).unref();
  }
}

void main();
