import type { FastifyPluginAsync } from 'fastify';
import { CONTENT_TYPE, type Collection, type ScrapeBody } from '../collection.js';
import type { Logger } from '../log.js';
import { acceptsGzip } from './encoding.js';

export interface MetricsRouteOptions {
  collection: Collection;
  /** --web.telemetry-path */
  path: string;
  log: Logger;
  /** --web.max-requests: scrapes answered at once; more get 503 at once (0: no limit). */
  maxRequests: number;
}

/**
 * The scrape endpoint. Every request shares the collection in flight, and every gzip-asking request of
 * one collection gets the same compressed buffer: neither a pass over /proc nor a compression is ever
 * paid per request, and neither body is copied on the way out.
 */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, { collection, path, log, maxRequests }) => {
  // Scrapes share a collection, so many at once cost little CPU; but each holds a socket and its part of
  // a body until sent, and node_exporter's --web.max-requests is what operators expect to bound that.
  let inFlight = 0;
  app.get(path, async (req, reply) => {
    if (maxRequests > 0 && inFlight >= maxRequests) {
      return reply.code(503).header('retry-after', '1').type('text/plain; charset=utf-8').send(`too many concurrent scrapes: --web.max-requests=${maxRequests}\n`);
    }
    inFlight++;
    let counted = true;
    const done = (): void => {
      if (counted) inFlight--;
      counted = false;
    };
    // Until the response is sent or the connection is gone, whichever comes first.
    reply.raw.once('finish', done);
    reply.raw.once('close', done);
    let lease: ScrapeBody;
    try {
      lease = await collection.scrape();
    } catch (err) {
      log.error('scrape failed', { err: (err as Error).message });
      return reply
        .code(500)
        .type('text/plain; charset=utf-8')
        .send(`scrape failed: ${(err as Error).message}\n`);
    }
    // The body is complete and goes to this scraper: the kernel log's position it shows may be saved.
    lease.served();
    // Vary on both: a cache between us and a scraper must not serve one encoding to a client of the other.
    reply.type(CONTENT_TYPE).header('cache-control', 'no-store').header('vary', 'accept-encoding');
    if (acceptsGzip(String(req.headers['accept-encoding'] ?? ''))) {
      let zipped: Buffer;
      try {
        zipped = await lease.gzip();
      } finally {
        lease.release();
      }
      reply.header('content-encoding', 'gzip');
      return reply.send(zipped);
    }
    // The body is the pooled buffer itself: hand it back once the socket has taken all of it
    // ('finish'), or the connection is gone ('close'), whichever comes first.
    reply.raw.once('finish', () => lease.release());
    reply.raw.once('close', () => lease.release());
    // Gone while it waited for the collection: 'close' has fired already and will not again.
    if (reply.raw.destroyed) lease.release();
    return reply.send(lease.body);
  });
};
