import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter, type RunningExporter } from '../helpers/cli.js';

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
    const scrapes = Array.from({ length: 20 }, (_, i) =>
      fetch(`${exp.url}/metrics`, { headers: { 'accept-encoding': i % 2 === 0 ? 'gzip' : 'identity' } }).then(async (r) => ({
        status: r.status,
        encoding: r.headers.get('content-encoding'),
        // fetch undoes the gzip: both kinds must come out as the same text.
        body: await r.text(),
      })),
    );
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
