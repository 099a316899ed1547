import { connect, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter, type RunningExporter } from '../helpers/cli.js';

interface RawAnswer {
  status: number;
  encoding: string | null;
  /** The body, gunzipped when it came gzipped. */
  body: string;
}

/** One HTTP/1.1 answer on a socket the server closes after it (Connection: close). */
function answerOf(socket: Socket): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', reject);
    socket.once('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1');
      const raw = all.subarray(split + 4);
      const encoding = /^content-encoding: *(\S+)/im.exec(head)?.[1] ?? null;
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), encoding, body: (encoding === 'gzip' ? gunzipSync(raw) : raw).toString() });
    });
  });
}

/**
 * The built CLI on the real /proc, asked by many scrapers at once, as a Prometheus HA pair, Alloy, a
 * probe and a person with curl do. One collection serves all the scrapes that overlap it.
 */
describe('overlapping scrapes of the real CLI', () => {
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startExporter(['--kernel-log.source=none']);
  });
  afterAll(async () => {
    expect(await exp.stop()).toBe(0);
  });

  const durations = (body: string): string =>
    body
      .split('\n')
      .filter((l) => l.startsWith('oom_scrape_collector_duration_seconds{'))
      .join('\n');

  it('share one collection: 20 simultaneous scrapes, half gzip, get the same body; probes answer meanwhile', async () => {
    // 20 connections opened first, as scrapers keep theirs open; then the 20 requests are written in one
    // go, so they reach the exporter at once however busy the host (over 20 fresh handshakes, or from a
    // client starved of CPU, they can arrive spread over longer than a pass takes).
    const sockets = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect(exp.port, '127.0.0.1', () => resolve(s));
            s.once('error', reject);
          }),
      ),
    );
    const scrapes = sockets.map((s) => answerOf(s));
    sockets.forEach((s, i) => s.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${i % 2 === 0 ? 'gzip' : 'identity'}\r\nConnection: close\r\n\r\n`));
    const probes = Array.from({ length: 5 }, () => fetch(`${exp.url}/healthz`).then(async (r) => `${r.status} ${await r.text()}`));
    const [results, health] = await Promise.all([Promise.all(scrapes), Promise.all(probes)]);
    expect(health).toEqual(Array(5).fill('200 ok\n'));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.filter((r) => r.encoding === 'gzip')).toHaveLength(10);
    const first = results[0]!.body;
    expect(durations(first)).not.toBe('');
    // The collector durations are timed to the nanosecond: the same values mean the same collection.
    // Requests that arrive after a collection finished start the next one (fresh data), so there may be
    // a few; each serves one body to all its requests, identity and gzip alike, and most requests share.
    const byCollection = new Map<string, Set<string>>();
    for (const r of results) {
      const key = durations(r.body);
      byCollection.set(key, (byCollection.get(key) ?? new Set()).add(r.body));
    }
    for (const bodies of byCollection.values()) expect(bodies.size).toBe(1);
    expect(byCollection.size).toBeLessThan(10);

    // A scrape after that collection finished gets a fresh one.
    const later = await (await fetch(`${exp.url}/metrics`)).text();
    expect(durations(later)).not.toBe(durations(first));
  });
});
