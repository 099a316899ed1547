import Fastify, { type FastifyInstance } from 'fastify';
import type { Collection } from '../collection.js';
import type { Logger } from '../log.js';
import { healthRoute } from './health.js';
import { landingRoute } from './landing.js';
import { metricsRoute } from './metrics.js';
import type { WebSecurity } from './security.js';

export interface AppOptions {
  collection: Collection;
  /** --web.telemetry-path */
  telemetryPath: string;
  version: string;
  log: Logger;
  /** --web.config.file: TLS, client certificates, basic auth, headers, rate_limit. */
  security?: WebSecurity | undefined;
}

/**
 * The HTTP face, without listening (listen.ts does that): tests use inject() or port 0. Each endpoint is
 * a plugin, so a later one (an API, a page) is a registration here, and the web config (TLS, auth) wraps
 * them all alike.
 */
export function buildApp(opts: AppOptions): FastifyInstance {
  const tls = opts.security?.tls();
  const http2 = opts.security?.http2() === true;
  const common = {
    logger: false,
    // A scrape that takes longer than Prometheus's timeout is useless; do not hold sockets forever.
    connectionTimeout: 60_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 30_000,
    // Answer 503 to new requests while closing, so a restart is visible as a failed scrape, not a hang.
    return503OnClosing: true,
    // An HTTP/2 server cannot close only its idle connections; it ends its sessions (GOAWAY) instead.
    forceCloseConnections: http2 ? true : ('idle' as const),
  };
  const https = tls === undefined ? undefined : { ...tls.context, requestCert: tls.requestCert, rejectUnauthorized: tls.rejectUnauthorized };
  // The three kinds of server fastify makes have three instance types; the routes and hooks use none of
  // their differences, so the app is typed as the plain HTTP one.
  const app = (https === undefined
    ? Fastify(common)
    : http2
      ? Fastify({ ...common, http2: true, https: { ...https, allowHTTP1: true } })
      : Fastify({ ...common, https })) as unknown as FastifyInstance;
  opts.security?.install(app);
  void app.register(metricsRoute, { collection: opts.collection, path: opts.telemetryPath, log: opts.log });
  void app.register(landingRoute, { telemetryPath: opts.telemetryPath, version: opts.version });
  void app.register(healthRoute);
  return app;
}
