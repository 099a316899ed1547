import Fastify, { type FastifyInstance } from 'fastify';
import type { Collection } from '../collection.js';
import type { Logger } from '../log.js';
import { healthRoute } from './health.js';
import { landingRoute } from './landing.js';
import { metricsRoute } from './metrics.js';

export interface AppOptions {
  collection: Collection;
  /** --web.telemetry-path */
  telemetryPath: string;
  version: string;
  log: Logger;
}

/**
 * The HTTP face, without listening (listen.ts does that): tests use inject() or port 0. Each endpoint is
 * a plugin, so a later one (an API, a page) is a registration here, and a web config (TLS, auth) wraps
 * them all alike.
 */
export function buildApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    // A scrape that takes longer than Prometheus's timeout is useless; do not hold sockets forever.
    connectionTimeout: 60_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 30_000,
    // Answer 503 to new requests while closing, so a restart is visible as a failed scrape, not a hang.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  void app.register(metricsRoute, { collection: opts.collection, path: opts.telemetryPath, log: opts.log });
  void app.register(landingRoute, { telemetryPath: opts.telemetryPath, version: opts.version });
  void app.register(healthRoute);
  return app;
}
