import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The page's policy: its own script, style and API (same-origin files and requests), nothing inline,
 * nothing from elsewhere, no framing. An injected tag or inline handler stays inert even if a value ever
 * reached the page unescaped.
 */
export const HTML_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Fastify's answer to errors found before routing (a malformed URL, an overlong parameter), in place of
 * its JSON that quotes the path: a fixed line, like every other error here.
 */
export function frameworkError(_err: Error, req: { url?: string; raw?: { url?: string } }, reply: FastifyReply): void {
  // These skip the onSend hooks: under /api the error is JSON here, as every API answer.
  const url = req.raw?.url ?? req.url ?? '';
  if (isApiPath(url.split('?', 1)[0]!)) {
    void reply
      .code(400)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ status: 'error', error: '400 bad request' }));
    return;
  }
  void reply.code(400).type('text/plain; charset=utf-8').send('400 bad request\n');
}

const isApiPath = (path: string): boolean => path === '/api' || path.startsWith('/api/');

/** How long the server waits for a connection's request headers, and checks for overdue ones. */
export interface ConnectionLimits {
  /**
   * A connection that has not sent a whole request head within this is closed: a socket that connects
   * and says nothing, or trickles its headers (slowloris), holds a descriptor this long at most.
   */
  headersTimeoutMs: number;
  /** How often Node looks for connections past headersTimeoutMs (its default, 30 s, would double the wait). */
  checkIntervalMs: number;
  /** Connections open at once; more are dropped as they arrive (`--web.max-connections`; 0: no limit). */
  maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: Omit<ConnectionLimits, 'maxConnections'> = { headersTimeoutMs: 10_000, checkIntervalMs: 1_000 };

/**
 * What every response gets, whatever route, hook or error produced it: `nosniff`, so no browser takes a
 * metrics body or an error for HTML; the CSP on HTML; and 404 and error bodies that are fixed text, so
 * a request's path or a parser's message is never reflected into a page.
 */
export function harden(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    // Under /api every answer is JSON, also the errors made before any API route ran (401 from basic
    // auth, 400 for a malformed path, 429, 503 while closing): the same fixed text, as the API's error.
    if (isApiPath(req.url.split('?', 1)[0]!) && reply.statusCode >= 400 && typeof payload === 'string') {
      const t = reply.getHeader('content-type');
      if (typeof t === 'string' && t.startsWith('text/plain')) {
        reply.header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify({ status: 'error', error: payload.trim() });
      }
    }
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) reply.header('content-security-policy', HTML_CSP);
    return payload;
  });
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send('404 page not found\n'));
  app.setErrorHandler(async (err: { statusCode?: number }, _req, reply) => {
    // Fastify's own errors (a malformed URL, a bad header) carry a 4xx; anything else is ours.
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    return reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(status < 500 ? `${status} bad request\n` : `${status} internal server error\n`);
  });
}

/** How long a close waits for requests in flight before it closes what is still open. */
export const CLOSE_GRACE_MS = 5_000;

/**
 * A prompt, honest close (SIGTERM, SIGINT). Node's server.close() stops listening and closes idle
 * keep-alive connections, but leaves a connection that has sent nothing yet open until its socket
 * timeout (its header-timeout check stops with the listener), and answers a request in flight with
 * "Connection: keep-alive". So: connections that have sent nothing are closed at once, requests in
 * flight are answered with "Connection: close" (a request that still arrives meanwhile gets 503: fastify's
 * return503OnClosing), and whatever is open graceMs later is closed.
 */
export function closePromptly(app: FastifyInstance, graceMs = CLOSE_GRACE_MS): void {
  // Raw TCP sockets as accepted, and (TLS) the sockets a handshake made of them: a request's socket is one
  // of the second kind, so both are watched for "has sent nothing".
  const sockets = new Set<{ bytesRead: number; destroyed: boolean; destroy(): void; once(e: 'close', f: () => void): unknown }>();
  const watch = (s: typeof sockets extends Set<infer T> ? T : never): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  app.server.on('connection', watch);
  app.server.on('secureConnection', watch);
  let closing = false;
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('preClose', (done) => {
    closing = true;
    for (const s of sockets) if (s.bytesRead === 0) s.destroy();
    const server = app.server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
    server.closeIdleConnections?.();
    const last = setTimeout(() => server.closeAllConnections?.(), graceMs);
    last.unref();
    app.server.once('close', () => clearTimeout(last));
    done();
  });
}
