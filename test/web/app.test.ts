import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { NamedCollector } from '../../src/collectors/index.js';
import { parseConfig } from '../../src/config.js';
import { buildExporter, type Exporter } from '../../src/exporter.js';
import { acceptsGzip } from '../../src/web/encoding.js';
import { gauge } from '../../src/exposition/metrics.js';
import { one, parseMetrics } from '../helpers/metrics.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/proc', import.meta.url));

/** The exporter as the composition root builds it, on the fixture /proc, not listening: inject() only. */
async function build(extra: NamedCollector[] = [], args: string[] = [], procfs = FIXTURE): Promise<FastifyInstance> {
  const config = parseConfig([`--path.procfs=${procfs}`, '--kernel-log.source=none', '--log.level=error', ...args]);
  exporter = await buildExporter(config, { stdout: async () => {}, stderr: () => {}, logLine: () => {}, extraCollectors: extra });
  return exporter.app;
}

let app: FastifyInstance | undefined;
let exporter: Exporter | undefined;
let tmp: string | undefined;
afterEach(async () => {
  // The whole exporter, in reverse order of building: the app first.
  await exporter?.close();
  exporter = undefined;
  app = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

/** A copy of the fixture /proc that a test may change between scrapes; removed after the test. */
function copyFixture(): string {
  tmp = mkdtempSync(join(tmpdir(), 'oom-proc-'));
  cpSync(FIXTURE, tmp, { recursive: true });
  return tmp;
}

describe('the web app, as the composition root builds it', () => {
  it('serves gzip when the scraper asks, plain text otherwise', async () => {
    app = await build();
    const gz = await app.inject({ url: '/metrics', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.statusCode).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    const text = gunzipSync(gz.rawPayload).toString();
    expect(text).toContain('oom_process_resident_memory_bytes');
    const plain = await app.inject({ url: '/metrics' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    // Both vary on the encoding, so a cache in between never serves one to a client of the other.
    expect(gz.headers.vary).toBe('accept-encoding');
    expect(plain.headers.vary).toBe('accept-encoding');
    expect(plain.body).toContain('oom_process_resident_memory_bytes');
  });

  it('has a landing page linking to the metrics, and /healthz', async () => {
    app = await build([], ['--web.telemetry-path=/x/metrics']);
    const home = await app.inject({ url: '/' });
    expect(home.headers['content-type']).toMatch(/text\/html/);
    expect(home.body).toContain('<a href="/x/metrics">');
    expect((await app.inject({ url: '/healthz' })).body).toBe('ok\n');
    expect((await app.inject({ url: '/x/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(404);
  });

  it('answers 200 when one collector throws, with its success at 0 and the others intact', async () => {
    const broken: NamedCollector = {
      name: 'broken',
      collector: {
        collect() {
          throw new Error('boom');
        },
      },
    };
    app = await build([broken]);
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const s = parseMetrics(res.body);
    expect(one(s, 'oom_scrape_collector_success', { collector: 'broken' })).toBe(0);
    expect(one(s, 'oom_scrape_collector_success', { collector: 'process' })).toBe(1);
    expect(one(s, 'oom_process_score', { pid: '100' })).toBe(667);
  });

  it('serves nothing of a collector that failed, not its values from the last scrape that worked', async () => {
    const dir = copyFixture();
    app = await build([], [], dir);
    expect(one(parseMetrics((await app.inject({ url: '/metrics' })).body), 'oom_kills_total')).toBe(3);
    rmSync(join(dir, 'vmstat'));
    const after = parseMetrics((await app.inject({ url: '/metrics' })).body);
    expect(one(after, 'oom_scrape_collector_success', { collector: 'vmstat' })).toBe(0);
    expect(one(after, 'oom_kills_total')).toBeUndefined();
    expect(one(after, 'oom_process_score', { pid: '100' })).toBe(667);
  });

  it('drops what a failing collector wrote into the body before it threw', async () => {
    const half = gauge('oom_half', 'written, then taken back');
    const halfway: NamedCollector = {
      name: 'halfway',
      collector: {
        collect(_scrape, out) {
          out.single(half, 1);
          throw new Error('boom');
        },
      },
    };
    app = await build([halfway]);
    const body = (await app.inject({ url: '/metrics' })).body;
    expect(body).not.toContain('oom_half');
    expect(one(parseMetrics(body), 'oom_scrape_collector_success', { collector: 'halfway' })).toBe(0);
  });

  it('shares one collection between concurrent scrapes', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const counting: NamedCollector = {
      name: 'counting',
      collector: {
        async collect() {
          calls++;
          await gate;
        },
      },
    };
    app = await build([counting]);
    const a = app.inject({ url: '/metrics' });
    const b = app.inject({ url: '/metrics' });
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(calls).toBe(1);
    expect(ra.body).toBe(rb.body);
    await app.inject({ url: '/metrics' });
    expect(calls).toBe(2);
  });

  it('serves the Node runtime metrics unless --web.disable-exporter-metrics', async () => {
    app = await build();
    expect((await app.inject({ url: '/metrics' })).body).toContain('nodejs_heap_size_total_bytes');
    await exporter?.close();
    app = await build([], ['--web.disable-exporter-metrics']);
    expect((await app.inject({ url: '/metrics' })).body).not.toContain('nodejs_');
  });

  it('keeps the top N by oom_score', async () => {
    app = await build([], ['--process.top-n=2']);
    const s = parseMetrics((await app.inject({ url: '/metrics' })).body);
    expect(
      s
        .filter((x) => x.name === 'oom_process_score')
        .map((x) => x.labels.pid)
        .sort(),
    ).toEqual(['107', '108']);
    expect(one(s, 'oom_processes_exported')).toBe(2);
    expect(one(s, 'oom_processes_visible')).toBe(8);
  });

  it('drops the series of a process that exited since the last scrape', async () => {
    const dir = copyFixture();
    app = await build([], [], dir);
    expect(parseMetrics((await app.inject({ url: '/metrics' })).body).some((x) => x.labels.pid === '100')).toBe(true);
    rmSync(join(dir, '100'), { recursive: true });
    const after = parseMetrics((await app.inject({ url: '/metrics' })).body);
    expect(after.some((x) => x.labels.pid === '100')).toBe(false);
    expect(one(after, 'oom_processes_visible')).toBe(7);
  });
});

describe('acceptsGzip', () => {
  it('reads Accept-Encoding as Prometheus and browsers send it, and honours q=0', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('identity, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    // RFC 9110 §8.4.1.3: a recipient should take x-gzip as gzip.
    expect(acceptsGzip('x-gzip, deflate')).toBe(true);
    expect(acceptsGzip('')).toBe(false);
  });
});
