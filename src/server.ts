import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Collection, ScrapeLease } from './registry.js';
import type { Logger } from './log.js';
import { VERSION } from './version.js';

const gzipAsync = promisify(gzip);

export interface ServerOptions {
  config: Config;
  collection: Collection;
  log: Logger;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function landingPage(config: Config): string {
  const path = escapeHtml(config.telemetryPath);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>oom-exporter</title></head>
<body>
<h1>oom-exporter</h1>
<p>A Prometheus exporter for Linux: which process the OOM killer will take next, and what it just killed, where and why.</p>
<p>Version ${escapeHtml(VERSION)}, Node.js ${escapeHtml(process.version)}.</p>
<ul>
<li><a href="${path}">Metrics</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
</body></html>
`;
}

/** Whether an Accept-Encoding header asks for gzip (and does not refuse it with q=0). */
export function acceptsGzip(header: string): boolean {
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().split(';');
    if (coding.trim().toLowerCase() !== 'gzip') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** The fastify app, without listening: tests use inject() or listen on port 0. */
export function buildServer({ config, collection, log }: ServerOptions): FastifyInstance {
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

  app.get(config.telemetryPath, async (req, reply) => {
    let lease: ScrapeLease;
    try {
      lease = await collection.scrape();
    } catch (err) {
      log.error('scrape failed', { err: (err as Error).message });
      return reply.code(500).type('text/plain; charset=utf-8').send(`scrape failed: ${(err as Error).message}\n`);
    }
    reply.type(collection.contentType).header('cache-control', 'no-store');
    if (acceptsGzip(String(req.headers['accept-encoding'] ?? ''))) {
      let zipped: Buffer;
      try {
        zipped = await gzipAsync(lease.body);
      } finally {
        lease.release();
      }
      reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding');
      return reply.send(zipped);
    }
    // The body is the pooled buffer itself: hand it back once the socket has taken all of it
    // ('finish'), or the connection is gone ('close'), whichever comes first.
    reply.raw.once('finish', () => lease.release());
    reply.raw.once('close', () => lease.release());
    return reply.send(lease.body);
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(landingPage(config)));
  app.get('/healthz', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok\n'));

  return app;
}
