import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createCollection, type Collection } from '../../src/collection.js';
import type { NamedCollector } from '../../src/collectors/index.js';
import { gauge } from '../../src/exposition/metrics.js';
import { createLogger } from '../../src/log.js';
import { createProcessScanner } from '../../src/procfs/processes.js';
import { buildApp } from '../../src/web/app.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
const quiet = createLogger('error', 'logfmt', () => {});

/**
 * A body of 40 MB: more than the kernel's socket buffers can take from the server while the client
 * reads nothing (net.ipv4.tcp_wmem and tcp_rmem allow at most 4 MB and 32 MB), so a paused reader
 * leaves most of it in the server's hands, still to be sent from the pooled buffer.
 */
const LINES = 10_000;
const PAD = 4_000;
const BIG = gauge('oom_test_body', 'A big body: each line says which collection wrote it.', ['pad']);

/**
 * A collector whose every line names its collection: collection n writes LINES samples valued n,
 * labelled with PAD letters of its own ('a' for the first). The first collection may be held at a gate,
 * so that requests can join it.
 */
function bigCollector(gate: Promise<void>): { named: NamedCollector; collections: () => number } {
  let n = 0;
  return {
    named: {
      name: 'big',
      collector: {
        async collect(_scrape, out) {
          const mine = ++n;
          if (mine === 1) await gate;
          const labels = Buffer.from(BIG.render({ pad: String.fromCharCode(96 + mine).repeat(PAD) }));
          out.family(BIG);
          for (let i = 0; i < LINES; i++) out.sampleWith(BIG, labels, mine);
        },
      },
    },
    collections: () => n,
  };
}

/** The collection numbers found in a body's sample lines, and how many lines had each. */
function collectionsIn(body: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!line.startsWith('oom_test_body{')) continue;
    const m = /^oom_test_body\{pad="([a-z])\1*"\} (\d+)$/.exec(line);
    const key = m === null ? 'garbled' : `${m[1]}${m[2]}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

/** An HTTP/1.1 scrape on a socket of its own; `pauseAfterFirst` stops reading once the answer has begun. */
function rawScrape(port: number, pauseAfterFirst: boolean): { socket: Socket; started: Promise<void>; body: Promise<string> } {
  const socket = connect(port, '127.0.0.1', () => socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n'));
  const chunks: Buffer[] = [];
  let begun: () => void = () => {};
  const started = new Promise<void>((resolve) => (begun = resolve));
  const body = new Promise<string>((resolve, reject) => {
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (chunks.length === 1) {
        if (pauseAfterFirst) socket.pause();
        begun();
      }
    });
    socket.once('error', reject);
    socket.once('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      expect(all.subarray(0, split).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
      resolve(all.subarray(split + 4).toString('latin1'));
    });
  });
  return { socket, started, body };
}

let app: FastifyInstance | undefined;
let collection: Collection | undefined;
afterEach(async () => {
  await app?.close();
  await collection?.close();
  app = undefined;
  collection = undefined;
});

/** The real collection and the real app on a random port, with the big collector alone; scrape() calls counted. */
async function serve(named: NamedCollector): Promise<{ port: number; scrapes: () => number }> {
  const c = createCollection({
    collectors: [named],
    scanner: createProcessScanner({ procfs: FIXTURE, wantCmdline: false }),
    selection: { include: undefined, exclude: undefined, match: 'comm', minRssBytes: 0, topN: undefined },
    log: quiet,
    version: 'test',
    runtimeMetrics: false,
  });
  collection = c;
  let scrapes = 0;
  const counted: Collection = {
    ...c,
    scrape: () => {
      scrapes++;
      return c.scrape();
    },
  };
  const a = buildApp({ collection: counted, telemetryPath: '/metrics', version: 'test', log: quiet, maxRequests: 0, connections: { maxConnections: 0 } });
  app = a;
  await a.listen({ host: '127.0.0.1', port: 0 });
  return { port: (a.server.address() as { port: number }).port, scrapes: () => scrapes };
}

describe('the scrape body lease over real sockets', () => {
  // Mutation it catches: the pooled body released when the response is handed to the socket instead of
  // on 'finish' / 'close' (`lease.release(); return reply.send(lease.body)`): the next collection is
  // written into the buffer the slow client is still being sent, and it receives the later scrape's bytes.
  it('a slow client receives its own collection whole while a later scrape is collected and sent', async () => {
    const big = bigCollector(Promise.resolve());
    const { port } = await serve(big.named);
    const slow = rawScrape(port, true);
    await slow.started;
    // Collection 1 is being sent to a client that reads nothing; collection 2 is made and sent meanwhile.
    const fast = rawScrape(port, false);
    expect(collectionsIn(await fast.body)).toEqual(new Map([['b2', LINES]]));
    slow.socket.resume();
    expect(collectionsIn(await slow.body)).toEqual(new Map([['a1', LINES]]));
    expect(big.collections()).toBe(2);
  });

  // Mutation it catches: a lease released twice (hold()'s `released` guard removed): the fast client's
  // 'finish' and then 'close' each give the shared body back, so it returns to the pool while the slow
  // client of the same collection still holds it, and the next collection overwrites what it is sent.
  it('two clients of one collection: the first done releases once, the slow one still gets its body whole', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const big = bigCollector(gate);
    const { port, scrapes } = await serve(big.named);
    const slow = rawScrape(port, true);
    const fast = rawScrape(port, false);
    // Both requests have joined collection 1, held at its gate.
    await vi.waitFor(() => expect(scrapes()).toBe(2), { timeout: 10_000, interval: 5 });
    open();
    await slow.started;
    expect(collectionsIn(await fast.body)).toEqual(new Map([['a1', LINES]]));
    // A third scrape, after the fast one is done: collection 2, which must not reuse the slow one's buffer.
    const later = rawScrape(port, false);
    expect(collectionsIn(await later.body)).toEqual(new Map([['b2', LINES]]));
    slow.socket.resume();
    expect(collectionsIn(await slow.body)).toEqual(new Map([['a1', LINES]]));
    expect(big.collections()).toBe(2);
  });
});
