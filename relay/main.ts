import { isMainThread } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { Relay } from './relay.js';
import { runRelayThread } from './threads/threadMain.js';

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

  // RELAY_WORKER_THREADS: this same module, run in a Worker, is a relay thread (see the end of the file)
  const entry = fileURLToPath(import.meta.url);
  if (config.workerThreads > 0 && entry.endsWith('.ts')) {
    // tsx's loader does not reach worker threads on Node 20: threads need the compiled relay
    logger.error('RELAY_WORKER_THREADS needs the compiled relay (.tmp/build/relay.mjs, as npm start runs it), not tsx');
    process.exit(2);
  }
  const relay = new Relay(config, logger, { threadScript: entry });
  let httpPort: number;
  try {
    httpPort = await relay.start();
  } catch (err) {
    logger.error('relay did not start', { err });
    process.exit(1);
  }
  // Always printed (whatever LOG_LEVEL): supervisors and tests read the ephemeral port from it.
  process.stdout.write(
    JSON.stringify({
      event: 'listening',
      relayId: config.relayId,
      httpPort,
      host: config.httpBindAddress,
      iceAddress: config.bindAddress,
      icePortRange: config.icePortRange,
      iceTcpPort: relay.iceTcp?.port,
      pid: process.pid,
    }) + '\n',
  );
  logger.info('relay started', { httpPort, edge: config.connectUrl });

  // SIGTERM drains (no new peers; calls go on up to RELAY_DRAIN_GRACE_SEC), SIGINT or a second
  // SIGTERM stops at once; either way every peer gets `hangup` and the process exits 0 when clean.
  let stopping: 'drain' | 'stop' | undefined;
  const finish = (done: Promise<void>, limitMs: number) => {
    const force = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, limitMs);
    force.unref();
    done.then(
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
  const shutdown = (signal: NodeJS.Signals) => {
    const drain = signal === 'SIGTERM' && stopping === undefined && config.drainGraceMs > 0;
    if (stopping === 'stop' || (stopping === 'drain' && drain)) return;
    stopping = drain ? 'drain' : 'stop';
    logger.info(drain ? 'draining' : 'shutting down', { signal });
    if (drain) finish(relay.drain(), config.drainGraceMs + 10_000);
    else finish(relay.stop('Relay shutdown'), 10_000);
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
        shutdown('SIGINT');
      }
    }, 1000).unref();
  }
}

if (isMainThread) void main();
else runRelayThread();
