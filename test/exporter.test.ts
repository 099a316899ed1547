import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NamedCollector } from '../src/collectors/index.js';
import { parseConfig } from '../src/config.js';
import { buildExporter, StartupError, type Exporter } from '../src/exporter.js';
import { gauge } from '../src/exposition/metrics.js';
import { find, parseMetrics, type Sample } from './helpers/metrics.js';

const PROCFS = fileURLToPath(new URL('./fixtures/proc', import.meta.url));
const CGROUPFS = fileURLToPath(new URL('./fixtures/cgroup/v2/sys/fs/cgroup', import.meta.url));
const KILLED = '/system.slice/docker-d0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98.scope';
const REPORT = [
  `Nov 30 12:00:00 host kernel: [  100.000000] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=${KILLED},task_memcg=${KILLED},task=victim-x,pid=4242,uid=0`,
  'Nov 30 12:00:00 host kernel: [  100.000100] Memory cgroup out of memory: Killed process 4242 (victim-x) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0',
].join('\n');

let tmp: string | undefined;
let exporter: Exporter | undefined;
afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

const quietIo = { stdout: async () => {}, stderr: () => {}, logLine: () => {} };

/** The exporter on a syslog file of our own; a kill is written to it after start, then one scrape. */
async function scrapeAfterKill(extra: string[], report = REPORT): Promise<Sample[]> {
  tmp = mkdtempSync(join(tmpdir(), 'oom-exp-'));
  const log = join(tmp, 'kern.log');
  writeFileSync(log, '');
  const config = parseConfig([
    `--path.procfs=${PROCFS}`,
    `--path.cgroupfs=${CGROUPFS}`,
    '--kernel-log.source=file',
    `--kernel-log.file=${log}`,
    '--log.level=error',
    ...extra,
  ]);
  exporter = await buildExporter(config, quietIo);
  appendFileSync(log, report + '\n');
  const res = await exporter.app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const samples = parseMetrics(res.body);
  await exporter.close();
  exporter = undefined;
  rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
  return samples;
}

describe('the composition root', () => {
  it('drains the kernel log before a scrape: the kill is in the very next one', async () => {
    const s = await scrapeAfterKill([]);
    expect(find(s, 'oom_kill_events_total', { comm: 'victim-x', cgroup: KILLED, constraint: 'memcg' })).toHaveLength(1);
  });

  it('--no-collector.kernellog does not change what the cgroup collector shows of cgroups named in kills', async () => {
    const cgroupSeries = (s: Sample[]): Sample[] => s.filter((x) => x.name.startsWith('oom_cgroup_') && x.labels.cgroup === KILLED);
    const withKernellog = cgroupSeries(await scrapeAfterKill([]));
    const without = await scrapeAfterKill(['--no-collector.kernellog']);
    expect(find(without, 'oom_kill_events_total')).toEqual([]);
    // The killed container's cgroup is there (no process of the fixture /proc is in it), and the same.
    expect(find(withKernellog, 'oom_cgroup_info')).toHaveLength(1);
    expect(cgroupSeries(without)).toEqual(withKernellog);
  });

  it("names the cgroup of a kill whose report lost its header from the exporter's own view of /proc", async () => {
    // The kernel printed only the Killed line (its header is rate-limited): PID 100 of the fixture /proc,
    // python3 in /system.slice/app.service. A Killed line naming PID 102 with another name is another process.
    const killed = (pid: number, comm: string): string =>
      `Nov 30 12:00:01 host kernel: [  101.000000] Memory cgroup out of memory: Killed process ${pid} (${comm}) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0`;
    const s = await scrapeAfterKill([], [killed(100, 'python3'), killed(102, 'not-sshd')].join('\n'));
    expect(find(s, 'oom_kill_events_total', { comm: 'python3', cgroup: '/system.slice/app.service', constraint: 'memcg' })).toHaveLength(1);
    expect(find(s, 'oom_kill_events_total', { comm: 'not-sshd', cgroup: '', constraint: 'memcg' })).toHaveLength(1);
  });

  it('logs each kill as one warn line with its labels, fields, time and what it knew of the victim', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'oom-exp-'));
    const file = join(tmp, 'kern.log');
    writeFileSync(file, '');
    const lines: string[] = [];
    const config = parseConfig([`--path.procfs=${PROCFS}`, `--path.cgroupfs=${CGROUPFS}`, '--kernel-log.source=file', `--kernel-log.file=${file}`, '--log.format=json']);
    exporter = await buildExporter(config, { ...quietIo, logLine: (l: string) => void lines.push(l) });
    appendFileSync(
      file,
      'Nov 30 12:00:01 host kernel: [  101.000000] Memory cgroup out of memory: Killed process 100 (python3) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0\n',
    );
    expect((await exporter.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    const kills = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'oom kill');
    expect(kills).toHaveLength(1);
    expect(kills[0]).toMatchObject({
      level: 'warn',
      killer: 'kernel',
      comm: 'python3',
      pid: 100,
      constraint: 'memcg',
      // No header: the cgroup is the one the exporter saw PID 100 in.
      cgroup: '/system.slice/app.service',
      cgroup_source: 'proc',
      anon_rss_bytes: 900 * 1024,
      uptime_seconds: 101,
    });
    // The kill's own time is kill_time: `time` stays the log line's (when it was written), in both formats.
    expect(kills[0]!['kill_time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(kills[0]!['time']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(kills[0]!['kill_time']).not.toBe(kills[0]!['time']);
    expect(typeof kills[0]!['last_rss_bytes']).toBe('number');
    // Every key, null where unknown: the API's id, the cgroup's owner and names, the last scores.
    expect(Object.keys(kills[0]!)).toEqual(
      expect.arrayContaining([
        'id',
        'memcg',
        'container_id',
        'container_name',
        'pod_uid',
        'systemd_unit',
        'runtime',
        'namespace',
        'pod',
        'container',
        'last_oom_score_adj',
      ]),
    );
    expect(kills[0]).toMatchObject({ id: 1, systemd_unit: 'app.service', container_id: null, namespace: null });
    await exporter.close();
    exporter = undefined;
  });

  it('refuses a --path.procfs that is not a procfs before starting anything', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'oom-exp-'));
    const config = parseConfig([`--path.procfs=${tmp}`, '--kernel-log.source=none']);
    await expect(buildExporter(config, quietIo)).rejects.toThrow(StartupError);
  });
});

/** A Killed line of the file source's syslog form: the whole report when its header was rate-limited. */
const killedLine = (pid: number, comm: string): string =>
  `Nov 30 12:00:01 host kernel: [  101.000000] Memory cgroup out of memory: Killed process ${pid} (${comm}) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0\n`;

/**
 * The exporter on a syslog file with --kernel-log.state-file, and a probe collector (after the kill
 * families) that runs `duringScrape` while each collection runs. The fixture /proc gets a boot id,
 * without which no state is saved.
 */
async function withStateFile(probe: NamedCollector): Promise<{ log: string; logLines: string[]; committed: () => number }> {
  tmp = mkdtempSync(join(tmpdir(), 'oom-exp-'));
  const procfs = join(tmp, 'proc');
  cpSync(PROCFS, procfs, { recursive: true });
  mkdirSync(join(procfs, 'sys/kernel/random'), { recursive: true });
  writeFileSync(join(procfs, 'sys/kernel/random/boot_id'), '4b2a1c0e-2f0d-4c41-9d36-0b1f5e2c7a10\n');
  const log = join(tmp, 'kern.log');
  const state = join(tmp, 'state.json');
  writeFileSync(log, '');
  const logLines: string[] = [];
  const config = parseConfig([
    `--path.procfs=${procfs}`,
    `--path.cgroupfs=${CGROUPFS}`,
    '--kernel-log.source=file',
    `--kernel-log.file=${log}`,
    `--kernel-log.state-file=${state}`,
    '--log.format=json',
  ]);
  exporter = await buildExporter(config, { ...quietIo, logLine: (l: string) => void logLines.push(l), extraCollectors: [probe] });
  const committed = (): number => (JSON.parse(readFileSync(state, 'utf8')) as { position: { offset: number } }).position.offset;
  return { log, logLines, committed };
}

const killedIn = (body: string, comm: string): boolean => find(parseMetrics(body), 'oom_kill_events_total', { comm }).length === 1;

describe('the kernel-log position: drained before a scrape, committed once its body is complete', () => {
  // Mutations it catches, in buildExporter's hooks: the commit made in the before-scrape hook (before
  // the families are written), or made after the scrape without the checkpoint taken before it
  // (`f.commit()`: the position of a kill read while the collection ran, which this body does not show).
  it('commits the position of the kills this body shows: not before it is written, not past a kill read meanwhile', async () => {
    let duringScrape: () => Promise<void> = async () => {};
    const probe: NamedCollector = { name: 'probe', collector: { collect: () => duringScrape() } };
    const { log, logLines, committed } = await withStateFile(probe);
    expect(committed()).toBe(0);
    appendFileSync(log, killedLine(100, 'victim-a'));
    const afterA = statSync(log).size;
    let seenWhileCollecting: number | undefined;
    duringScrape = async () => {
      seenWhileCollecting = committed();
      // A kill logged while the collection runs, after the kill families were written: the follower's
      // own poll reads it (the warn line says so) before this collection ends.
      appendFileSync(log, killedLine(102, 'victim-b'));
      await vi.waitFor(() => expect(logLines.some((l) => l.includes('"victim-b"'))).toBe(true), { timeout: 10_000, interval: 20 });
    };
    const first = await exporter!.app.inject({ url: '/metrics' });
    expect(first.statusCode).toBe(200);
    expect(seenWhileCollecting).toBe(0);
    expect(killedIn(first.body, 'victim-a')).toBe(true);
    expect(killedIn(first.body, 'victim-b')).toBe(false);
    expect(committed()).toBe(afterA);

    duringScrape = async () => {};
    const second = await exporter!.app.inject({ url: '/metrics' });
    expect(killedIn(second.body, 'victim-b')).toBe(true);
    expect(committed()).toBe(statSync(log).size);
  });

  // Mutation it catches: the after-scrape hooks run before the body is complete (or whatever happens
  // to it): a collection that fails commits the position of kills no body showed.
  it('commits nothing for a collection that failed, and the next one shows the kill and commits it', async () => {
    const own = gauge('oom_scrape_collector_duration_seconds', "the collection's own family, taken: the body cannot be completed");
    let fail = true;
    // A collector bug that fails the collection as a whole (it wrote a family the collection writes itself).
    const probe: NamedCollector = { name: 'probe', collector: { collect: (_s, out) => (fail ? out.single(own, 1) : undefined) } };
    const { log, committed } = await withStateFile(probe);
    appendFileSync(log, killedLine(100, 'victim-a'));
    expect((await exporter!.app.inject({ url: '/metrics' })).statusCode).toBe(500);
    expect(committed()).toBe(0);
    fail = false;
    const next = await exporter!.app.inject({ url: '/metrics' });
    expect(next.statusCode).toBe(200);
    expect(killedIn(next.body, 'victim-a')).toBe(true);
    expect(committed()).toBe(statSync(log).size);
  });
});
