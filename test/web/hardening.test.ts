import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Collection, ScrapeBody } from '../../src/collection.js';
import { createLogger } from '../../src/log.js';
import { buildApp, type AppOptions } from '../../src/web/app.js';
import { HTML_CSP } from '../../src/web/hardening.js';

const quiet = createLogger('error', 'logfmt', () => {});

/** A collection whose scrapes wait until the test lets them go: requests stay in flight as long as wanted. */
function heldCollection() {
  const waiting: (() => void)[] = [];
  let scrapes = 0;
  const body = Buffer.from('# HELP x A test.\n# TYPE x gauge\nx 1\n');
  const collection: Collection = {
    async scrape(): Promise<ScrapeBody> {
      scrapes++;
      await new Promise<void>((resolve) => waiting.push(resolve));
      return { body, gzip: async () => body, release: () => {}, served: () => {} };
    },
    beforeScrape: () => {},
    afterScrape: () => {},
    results: () => [],
    processSnapshot: () => Promise.reject(new Error('no processes in this test')),
    close: async () => {},
  };
  return {
    collection,
    scrapes: () => scrapes,
    waiting: () => waiting.length,
    release: () => waiting.splice(0).forEach((r) => r()),
  };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listening(opts: Partial<AppOptions> & Pick<AppOptions, 'collection'>): Promise<{ app: FastifyInstance; port: number }> {
  const a = buildApp({ telemetryPath: '/metrics', version: '0.0.0-test', log: quiet, maxRequests: 40, connections: { maxConnections: 0 }, ...opts });
  app = a;
  await a.listen({ host: '127.0.0.1', port: 0 });
  return { app: a, port: (a.server.address() as { port: number }).port };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    // Read whatever comes (a 408, nothing): an unread socket never sees its end, so never 'close'.
    s.resume();
  });
}

describe('headers and bodies', () => {
  it('nosniff on every response; the CSP on HTML only', async () => {
    const { app: a } = await listening({ collection: heldCollection().collection });
    const page = await a.inject({ url: '/' });
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['content-security-policy']).toBe(HTML_CSP);
    // The page's own files and API, nothing inline, nothing from elsewhere.
    expect(HTML_CSP).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const health = await a.inject({ url: '/healthz' });
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['content-security-policy']).toBeUndefined();
    const missing = await a.inject({ url: '/nope' });
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  it('a 404 or a bad request never echoes the request', async () => {
    const { app: a } = await listening({ collection: heldCollection().collection });
    const probe = '/<script>alert(1)</script>?q=<img src=x onerror=alert(2)>';
    const missing = await a.inject({ url: probe });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(missing.body).toBe('404 page not found\n');
    const bad = await a.inject({ url: '/%E0%A4%A' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toBe('400 bad request\n');
    expect(bad.body).not.toContain('%');
  });
});

describe('--web.max-requests', () => {
  it('answers at most N scrapes at once: more get 503 at once, and the count comes back as they finish', async () => {
    const held = heldCollection();
    const { port } = await listening({ collection: held.collection, maxRequests: 2 });
    const url = `http://127.0.0.1:${port}/metrics`;
    const first = [fetch(url), fetch(url)];
    await vi.waitFor(() => expect(held.waiting()).toBe(2), { timeout: 10_000, interval: 10 });
    const over = await fetch(url);
    expect(over.status).toBe(503);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(await over.text()).toBe('too many concurrent scrapes: --web.max-requests=2\n');
    // Probes are not scrapes.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    held.release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    const later = fetch(url);
    await vi.waitFor(() => expect(held.waiting()).toBe(1), { timeout: 10_000, interval: 10 });
    held.release();
    expect((await later).status).toBe(200);
  });

  it('a scraper that hangs up while waiting gives its place back', async () => {
    const held = heldCollection();
    const { port } = await listening({ collection: held.collection, maxRequests: 1 });
    const gone = new AbortController();
    const abandoned = fetch(`http://127.0.0.1:${port}/metrics`, { signal: gone.signal }).catch(() => 'aborted');
    await vi.waitFor(() => expect(held.waiting()).toBe(1), { timeout: 10_000, interval: 10 });
    gone.abort();
    expect(await abandoned).toBe('aborted');
    const next = fetch(`http://127.0.0.1:${port}/metrics`);
    await vi.waitFor(() => expect(held.waiting()).toBe(2), { timeout: 10_000, interval: 10 });
    held.release();
    expect((await next).status).toBe(200);
  });
});

describe('connection limits', () => {
  it('closes a connection that sends no request head within the header timeout', async () => {
    const { port } = await listening({ collection: heldCollection().collection, connections: { maxConnections: 0, headersTimeoutMs: 300, checkIntervalMs: 50 } });
    const idle = await open(port);
    const slow = await open(port);
    // A slowloris: a header line now and then, never the blank line that ends the head.
    slow.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => slow.write('X-A: b\r\n'), 50);
    try {
      await Promise.all([once(idle, 'close'), once(slow, 'close')]);
    } finally {
      clearInterval(trickle);
    }
  });

  it('--web.max-connections: connections past the limit are closed as they arrive', async () => {
    const { port } = await listening({ collection: heldCollection().collection, connections: { maxConnections: 2 } });
    const kept = [await open(port), await open(port)];
    const third = await open(port);
    await once(third, 'close');
    expect(kept.every((s) => !s.destroyed)).toBe(true);
    kept.forEach((s) => s.destroy());
  });
});

describe('closing', () => {
  it('closes connections that sent nothing and idle keep-alive ones at once, refuses new ones, and answers a scrape in flight with Connection: close', async () => {
    const held = heldCollection();
    const { app: a, port } = await listening({ collection: held.collection });
    const raw = await open(port);
    let answer = '';
    raw.on('data', (c: Buffer) => (answer += c.toString()));
    raw.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    await vi.waitFor(() => expect(held.waiting()).toBe(1), { timeout: 10_000, interval: 10 });
    const silent = await open(port);
    const kept = await open(port);
    let keptAnswer = '';
    kept.on('data', (c: Buffer) => (keptAnswer += c.toString()));
    kept.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await vi.waitFor(() => expect(keptAnswer).toMatch(/ok\n$/), { timeout: 10_000, interval: 10 });
    expect(keptAnswer).toMatch(/connection: keep-alive/i);

    const closing = a.close();
    await Promise.all([once(silent, 'close'), once(kept, 'close')]);
    await expect(open(port)).rejects.toThrow(/ECONNREFUSED/);
    held.release();
    await once(raw, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toMatch(/\r\n\r\n# HELP x A test\.\n# TYPE x gauge\nx 1\n$/);
    await closing;
    app = undefined;
  });
});

function once(s: Socket, event: 'close'): Promise<void> {
  return new Promise((resolve) => (s.destroyed && event === 'close' ? resolve() : s.once(event, () => resolve())));
}
