/**
 * --web.config.file applied to the HTTP server: TLS (and client certificates) on the socket, then on every
 * request the configured headers, rate_limit and basic auth, for every endpoint but /healthz.
 *
 * Why /healthz is left out of basic auth and rate_limit (never out of TLS): it answers "ok" and nothing
 * about the host, and it is what a kubelet probes. A kubelet can speak HTTPS without checking the
 * certificate but cannot be given a password other than as plain text in the pod spec, readable by anyone
 * who may read the DaemonSet; and a liveness probe refused by the rate limit would restart a healthy
 * exporter. node_exporter protects everything, but it has no liveness endpoint of its own.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server as NetServer, Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Logger } from '../log.js';
import { createBasicAuth, type BasicAuth } from './basic-auth.js';
import { peerRefusal } from './client-cert.js';
import { createPasswordChecker, type PasswordChecker } from './password-worker.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';
import { openWebConfig, type LiveWebConfig } from './web-config-live.js';
import type { TlsServerSettings, WebConfig } from './web-config-load.js';
import type { RateLimitSpec } from './web-config.js';

/** Paths answered without basic auth and outside rate_limit (see above). */
export const UNAUTHENTICATED_PATHS: readonly string[] = ['/healthz'];

/** How often at most requests on open connections look for a changed config (new connections always look). */
const REQUEST_REFRESH_MS = 1000;

export interface WebSecurity {
  config: LiveWebConfig;
  /** The TLS settings the server starts with, or undefined for plain HTTP. */
  tls(): TlsServerSettings | undefined;
  /** Whether the server offers HTTP/2 (by ALPN, beside HTTP/1.1): with TLS and http_server_config.http2. */
  http2(): boolean;
  /** Hooks the app's requests and its server's connections. Once, before the app is ready. */
  install(app: FastifyInstance): void;
  close(): Promise<void>;
}

/** Opens the web config (throws WebConfigError if it is bad) and what enforces it. */
export function openWebSecurity(file: string, log: Logger, options: { passwordIdleMs?: number } = {}): WebSecurity {
  const config = openWebConfig(file, log);
  const started = config.current();
  announce(started, log);
  const checker: PasswordChecker = createPasswordChecker(options.passwordIdleMs !== undefined ? { idleMs: options.passwordIdleMs } : {});
  const auth: BasicAuth = createBasicAuth({ checker });
  let limiter = limiterFor(started.spec.rateLimit);
  config.onChange((next, previous) => {
    if (!sameRateLimit(next.spec.rateLimit, previous.spec.rateLimit)) limiter = limiterFor(next.spec.rateLimit);
  });

  const install = (app: FastifyInstance): void => {
    const server = app.server as unknown as NetServer;
    // Before the TLS layer's own listener, so a rotated certificate is in force for this very handshake.
    server.prependListener('connection', () => void config.refresh());
    if (started.tls !== undefined) {
      const tlsServer = server as unknown as TlsServer & { requestCert: boolean; rejectUnauthorized: boolean };
      config.onChange((next) => {
        if (next.tls === undefined) return;
        tlsServer.setSecureContext(next.tls.context);
        // Read by Node for each new connection (tls.Server keeps them as plain properties).
        tlsServer.requestCert = next.tls.requestCert;
        tlsServer.rejectUnauthorized = next.tls.rejectUnauthorized;
      });
      // Before the HTTP layer's listener: a refused client never has a request read.
      tlsServer.prependListener('secureConnection', (socket: TLSSocket) => {
        const t = config.current().spec.tls;
        if (t === undefined) return;
        const why = peerRefusal(t.clientAuth, t.clientAllowedSans, socket);
        if (why === undefined) return;
        log.debug('TLS client refused', { remote: (socket as Socket).remoteAddress, why });
        socket.destroy();
      });
    }

    let lastLook = performance.now();
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const now = performance.now();
      if (now - lastLook >= REQUEST_REFRESH_MS) {
        lastLook = now;
        config.refresh();
      }
      const { spec } = config.current();
      for (const [name, value] of spec.headers) reply.header(name, value);
      if (UNAUTHENTICATED_PATHS.includes(req.routeOptions.url ?? '')) return;
      if (limiter !== undefined && !limiter.take()) return reply.code(429).type('text/plain; charset=utf-8').send('Too Many Requests\n');
      if (spec.users.size === 0) return;
      const outcome = await auth.check(spec.users, req.headers.authorization);
      if (outcome === 'ok') return;
      if (outcome === 'busy') {
        return reply.code(503).header('retry-after', '1').type('text/plain; charset=utf-8').send('Service Unavailable: too many password checks at once\n');
      }
      return reply.code(401).header('www-authenticate', 'Basic').type('text/plain; charset=utf-8').send('Unauthorized\n');
    });
  };

  return {
    config,
    tls: () => started.tls,
    http2: () => started.tls !== undefined && started.spec.http2,
    install,
    close: () => checker.close(),
  };
}

function limiterFor(spec: RateLimitSpec | undefined): RateLimiter | undefined {
  return spec === undefined ? undefined : createRateLimiter(spec);
}

function sameRateLimit(a: RateLimitSpec | undefined, b: RateLimitSpec | undefined): boolean {
  return a?.intervalMs === b?.intervalMs && a?.burst === b?.burst;
}

/** One line at start saying what the file turned on, and a warning where it leaves passwords in the clear. */
function announce({ spec }: WebConfig, log: Logger): void {
  log.info('web config loaded', {
    file: spec.file,
    tls: spec.tls !== undefined,
    http2: spec.tls !== undefined && spec.http2,
    client_auth_type: spec.tls?.clientAuth,
    basic_auth_users: spec.users.size,
    rate_limit: spec.rateLimit === undefined ? undefined : `${spec.rateLimit.burst} per ${spec.rateLimit.intervalMs} ms`,
  });
  if (spec.users.size > 0 && spec.tls === undefined)
    log.warn('basic_auth_users without tls_server_config: passwords cross the network in clear text', { file: spec.file });
  if (spec.tls !== undefined && (spec.tls.minVersion === 'TLS10' || spec.tls.minVersion === 'TLS11')) {
    log.warn('min_version below TLS12: TLS 1.0 and 1.1 are allowed at OpenSSL security level 0', { file: spec.file });
  }
}
