import Fastify, { type FastifyInstance } from 'fastify';
import type { Collection } from '../collection.js';
import type { Logger } from '../log.js';
import { createApiData } from './api-data.js';
import { apiRoutes, type ApiRouteOptions } from './api.js';
import { closePromptly, DEFAULT_CONNECTION_LIMITS, frameworkError, harden, type ConnectionLimits } from './hardening.js';
import { healthRoute } from './health.js';
import { metricsRoute } from './metrics.js';
import { pageRoutes } from './page/route.js';
import type { WebSecurity } from './security.js';

export interface AppOptions {
  collection: Collection;
  /** --web.telemetry-path */
  telemetryPath: string;
  version: string;
  log: Logger;
  /** --web.config.file: TLS, client certificates, basic auth, headers, rate_limit. */
  security?: WebSecurity | undefined;
  /** --web.max-requests: scrapes served at once, more get 503 (0: no limit). */
  maxRequests: number;
  /** --web.max-connections, and the header timeout (tests shorten it). */
  connections: Partial<ConnectionLimits> & Pick<ConnectionLimits, 'maxConnections'>;
  /** The JSON API's sources (README, "JSON API"); without, no /api routes. */
  api?: Omit<ApiRouteOptions, 'collection' | 'version'>;
}

/**
 * The HTTP face, without listening (listen.ts does that): tests use inject() or port 0. Each endpoint is
 * a plugin, so a later one (an API, a page) is a registration here, and the web config (TLS, auth) wraps
 * them all alike.
 */
export function buildApp(opts: AppOptions): FastifyInstance {
  const tls = opts.security?.tls();
  const http2 = opts.security?.http2() === true;
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...opts.connections };
  // Node's own http(s) server options: fastify passes `http` to http.createServer, and https.createServer
  // takes the same keys beside the TLS ones.
  const nodeServer = { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs };
  const common = {
    logger: false,
    // A socket with no traffic at all for 30 s (a reader that stopped reading its body) is closed; a
    // scrape that takes longer than Prometheus's timeout is useless anyway.
    connectionTimeout: 30_000,
    // The whole request head and body; a GET has no body, so this only backs headersTimeout up.
    requestTimeout: limits.headersTimeoutMs + 1_000,
    keepAliveTimeout: 30_000,
    // Answer 503 to new requests while closing, so a restart is visible as a failed scrape, not a hang.
    return503OnClosing: true,
    // An HTTP/2 server cannot close only its idle connections; it ends its sessions (GOAWAY) instead.
    forceCloseConnections: http2 ? true : ('idle' as const),
  };
  const https = tls === undefined ? undefined : { ...tls.context, requestCert: tls.requestCert, rejectUnauthorized: tls.rejectUnauthorized, ...nodeServer };
  // The three kinds of server fastify makes have three instance types; the routes and hooks use none of
  // their differences, so the app is typed as the plain HTTP one.
  // frameworkErrors is typed generically per server kind; its handler uses nothing of the request or
  // reply that differs between them (a status, a type, a fixed body).
  const errors = { frameworkErrors: frameworkError as never };
  const app = (https === undefined
    ? Fastify({ ...common, ...errors, http: nodeServer })
    : http2
      ? Fastify({ ...common, ...errors, http2: true, https: { ...https, allowHTTP1: true } })
      : Fastify({ ...common, ...errors, https })) as unknown as FastifyInstance;
  if (limits.maxConnections > 0) app.server.maxConnections = limits.maxConnections;
  harden(app);
  closePromptly(app);
  opts.security?.install(app);
  void app.register(metricsRoute, { collection: opts.collection, path: opts.telemetryPath, log: opts.log, maxRequests: opts.maxRequests });
  // One source of data for the API and the console's first view.
  const api = opts.api === undefined ? undefined : { ...opts.api, collection: opts.collection, version: opts.version };
  const data = api === undefined ? null : createApiData(api);
  void app.register(pageRoutes, { telemetryPath: opts.telemetryPath, version: opts.version, data });
  void app.register(healthRoute);
  const security = opts.security;
  const onWebConfigChange = security === undefined ? undefined : (listener: () => void): void => security.config.onChange(() => listener());
  if (api !== undefined && data !== null) void app.register(apiRoutes, { ...api, data, ...(onWebConfigChange === undefined ? {} : { onWebConfigChange }) });
  return app;
}
