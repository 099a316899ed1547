import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
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

/** A connection on which one keep-alive /healthz has been answered: the exporter holds it open. */
function keptAlive(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    let seen = '';
    const onData = (c: Buffer): void => {
      seen += c.toString('latin1');
      if (!seen.endsWith('\r\n\r\nok\n')) return;
      s.off('data', onData);
      s.off('error', reject);
      resolve(s);
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

const PROCFS = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
const SYSFS = fileURLToPath(new URL('../fixtures/cgroup/hybrid/sys', import.meta.url));

/**
 * The built CLI, asked by many scrapers at once, as a Prometheus HA pair, Alloy, a probe and a person
 * with curl do. One collection serves all the scrapes that overlap it: on the real /proc, whose pass
 * gives the event loop back many times, and on the fixture /proc, collected within one slice without
 * ever yielding, where only the collection's wait for the next turn lets the other requests join it
 * (without that wait, each of the 20 would make a collection of its own).
 */
describe.each([
  ['the real /proc', ['--kernel-log.source=none']],
  // Without the runtime metrics too: prom-client's event-loop lag gauge waits a turn of its own.
  ['the fixture /proc (a pass that never yields)', [`--path.procfs=${PROCFS}`, `--path.sysfs=${SYSFS}`, '--kernel-log.source=none', '--web.disable-exporter-metrics']],
])('overlapping scrapes of the real CLI on %s', (_what, args) => {
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startExporter(args);
    // Warmed up, as an exporter is after its first scrapes: the first loads and compiles what later
    // collections reuse, and would take more than a slice (giving the loop back) where they do not.
    for (let i = 0; i < 5; i++) await (await fetch(`${exp.url}/metrics`)).text();
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
    // 25 connections opened and each used once for a probe, as scrapers keep theirs alive: the exporter
    // has accepted them all (Node accepts one new connection per turn of its loop, so fresh connections
    // arriving at once reach it one turn apart). It is then frozen (SIGSTOP) while the 20 scrapes and 5
    // probes are written, and thawed: all of them sit in its sockets when it wakes, so they overlap
    // however busy the host is.
    const sockets = await Promise.all(Array.from({ length: 25 }, () => keptAlive(exp.port)));
    const answers = sockets.map((s) => answerOf(s));
    const write = (s: Socket, request: string): Promise<void> => new Promise((resolve, reject) => s.write(request, (e) => (e ? reject(e) : resolve())));
    exp.child.kill('SIGSTOP');
    try {
      await Promise.all(
        sockets.map((s, i) =>
          write(
            s,
            i < 20
              ? `GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${i % 2 === 0 ? 'gzip' : 'identity'}\r\nConnection: close\r\n\r\n`
              : 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
          ),
        ),
      );
    } finally {
      exp.child.kill('SIGCONT');
    }
    const scrapes = Promise.all(answers.slice(0, 20));
    const probes = Promise.all(answers.slice(20)).then((all) => all.map((a) => `${a.status} ${a.body}`));
    const [results, health] = await Promise.all([scrapes, probes]);
    expect(health).toEqual(Array(5).fill('200 ok\n'));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.filter((r) => r.encoding === 'gzip')).toHaveLength(10);
    const first = results[0]!.body;
    expect(durations(first)).not.toBe('');
    // The collector durations are timed to the nanosecond: the same values mean the same collection.
    // All 20 were waiting when the exporter woke, so one collection serves them all, identity and gzip
    // alike: one pass over /proc, one body.
    const byCollection = new Map<string, Set<string>>();
    for (const r of results) {
      const key = durations(r.body);
      byCollection.set(key, (byCollection.get(key) ?? new Set()).add(r.body));
    }
    for (const bodies of byCollection.values()) expect(bodies.size).toBe(1);
    expect(byCollection.size).toBe(1);

    // A scrape after that collection finished gets a fresh one.
    const later = await (await fetch(`${exp.url}/metrics`)).text();
    expect(durations(later)).not.toBe(durations(first));
  });
});
