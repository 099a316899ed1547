/**
 * The compose stack without Docker: Debian's prometheus and prometheus-alertmanager run with the same
 * prometheus.yml, rules and alertmanager.yml as docker-compose.yml (only addresses, paths and intervals
 * substituted), scrape the real exporter, and a real OOM kill in a memory cgroup must come out as
 * OOMKillDetected in Alertmanager. Every query of every dashboard panel must return data on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, startExporter, type RunningExporter } from '../helpers/cli.js';
import { makeMemoryCgroup, realOomKill, type MemoryCgroup } from '../helpers/oom.js';
import {
  commandRuns,
  freePort,
  SHIPPED_RULES,
  shippedPrometheusConfig,
  startDaemon,
  startPrometheus,
  stopDaemon,
  substitute,
  until,
  type Daemon,
  type RunningPrometheus,
  type Series,
} from '../helpers/prometheus.js';
import { requireTool } from '../helpers/promtool.js';
import { requireRoot } from '../helpers/root.js';

const COMM = 'oom (test) 1';
// Small, but a scrape walks every process: thousands of them on a busy CI machine take seconds.
const SCRAPE = '5s';
/** What Grafana makes of $__rate_interval at this scrape interval: four scrapes. */
const RATE_INTERVAL = '20s';

/** The test needs root (cgroups, /dev/kmsg), the two binaries and a v1 memory hierarchy; CI has all. */
function canRun(): boolean {
  const root = requireRoot();
  const prom = requireTool(commandRuns('prometheus'), 'prometheus');
  const am = requireTool(commandRuns('prometheus-alertmanager'), 'prometheus-alertmanager');
  const memcg = requireTool(existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes'), 'a cgroup v1 memory hierarchy at /sys/fs/cgroup/memory');
  return root && prom && am && memcg;
}

describe.runIf(canRun())('the compose stack on real Prometheus and Alertmanager binaries', () => {
  let dir = '';
  let exporter: RunningExporter | undefined;
  let prometheus: RunningPrometheus | undefined;
  let alertmanager: Daemon | undefined;
  let webhook: Server | undefined;
  const notifications: string[] = [];
  let amUrl = '';
  let cgroup: MemoryCgroup | undefined;
  let survivor: ChildProcess | undefined;

  function prom<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    if (!prometheus) throw new Error('no prometheus');
    return prometheus.api.get<T>(path, params);
  }

  /** How the target's scrapes went, to explain a failure. */
  async function scrapeErrors(): Promise<string> {
    const t = await prom<{ activeTargets: { labels: Record<string, string>; lastError: string; lastScrapeDuration: number }[] }>('/api/v1/targets');
    const r = await prom<{ result: Series[] }>('/api/v1/query', { query: 'count_over_time(up{job="oom-exporter"}[5m]) - sum_over_time(up{job="oom-exporter"}[5m])' });
    return JSON.stringify({
      targets: t.activeTargets.map((x) => ({ lastError: x.lastError, lastScrapeDuration: x.lastScrapeDuration })),
      failedScrapes: r.result[0]?.value?.[1],
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-stack-'));
    // The webhook receiver stands in for the compose stack's alert-logger container.
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        notifications.push(body);
        res.end();
      });
    });
    webhook.listen(0, '127.0.0.1');
    await once(webhook, 'listening');
    const hookAddr = webhook.address();
    if (hookAddr === null || typeof hookAddr === 'string') throw new Error('webhook has no port');

    exporter = await startExporter(['--kernel-log.source=kmsg']);

    const amPort = await freePort();
    amUrl = `http://127.0.0.1:${amPort}`;
    let amConfig = readFileSync(join(REPO, 'deploy/alertmanager/alertmanager.yml'), 'utf8');
    amConfig = substitute(amConfig, 'http://alert-logger:8080/', `http://127.0.0.1:${hookAddr.port}/`);
    writeFileSync(join(dir, 'alertmanager.yml'), amConfig);
    alertmanager = startDaemon('prometheus-alertmanager', [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      // A single instance: no gossip port to collide with anything.
      '--cluster.listen-address=',
    ]);

    const ready = (url: string): Promise<true | undefined> => fetch(`${url}/-/ready`).then((r) => (r.ok ? true : undefined));
    await until('Alertmanager to be ready', 30_000, () => ready(amUrl)).catch((e: Error) => {
      throw new Error(`${e.message}\n${alertmanager?.output().slice(-2000)}`);
    });
    prometheus = await startPrometheus(
      dir,
      shippedPrometheusConfig({
        exporterPort: exporter.port,
        alertmanager: `127.0.0.1:${amPort}`,
        scrapeInterval: SCRAPE,
        evaluationInterval: '1s',
        rulesFile: SHIPPED_RULES,
      }),
    );

    // A process that stays in the test's memory cgroup after the kill, for the process dashboard:
    // its cgroup has a limit, so "usage and limit" and "time until it runs out" have data.
    cgroup = makeMemoryCgroup('oome2e');
    survivor = spawn('/bin/sh', ['-c', `echo $$ > ${cgroup.dir}/cgroup.procs && exec sleep 600`], { stdio: 'ignore' });
  }, 90_000);

  afterAll(async () => {
    if (survivor && survivor.exitCode === null) {
      const gone = once(survivor, 'exit');
      survivor.kill('SIGKILL');
      await gone;
    }
    await cgroup?.remove();
    await prometheus?.stop();
    await stopDaemon(alertmanager?.child);
    await exporter?.stop();
    webhook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('Prometheus scrapes the exporter: the target is up', async () => {
    const up = await until('the oom-exporter target to be up', 30_000, async () => {
      const t = await prom<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>('/api/v1/targets');
      const target = t.activeTargets.find((x) => x.labels.job === 'oom-exporter');
      return target?.health === 'up' ? target : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}\nprometheus:\n${prometheus?.daemon.output().slice(-2000)}`);
    });
    expect(up.labels.instance).toBe('docker-host');
    // The target page can report a scrape a moment before its samples are queryable.
    const r = await until('up == 1 in a query', 10_000, async () => {
      const q = await prom<{ result: Series[] }>('/api/v1/query', { query: 'up{job="oom-exporter"} == 1' });
      return q.result.length > 0 ? q : undefined;
    });
    expect(r.result.map((s) => s.metric.instance)).toEqual(['docker-host']);
  }, 60_000);

  it('a real OOM kill fires OOMKillDetected with the victim, and Alertmanager lists it', async () => {
    if (!cgroup) throw new Error('no cgroup');
    // The rules count a new kill series only if Prometheus scraped the exporter before it appeared.
    await until('two scrapes of the exporter', 30_000, async () => {
      const r = await prom<{ result: Series[] }>('/api/v1/query', { query: 'count_over_time(up{job="oom-exporter"}[1m])' });
      return Number(r.result[0]?.value?.[1] ?? 0) >= 2 ? true : undefined;
    });

    // A second old when it dies: the exporter has seen it, so it is named with its cgroup even when the
    // kernel's rate limit (other tests kill too) leaves the report out.
    await realOomKill(COMM, cgroup, 1);

    const alert = await until('OOMKillDetected to fire in Prometheus', 60_000, async () => {
      const a = await prom<{ alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string }[] }>('/api/v1/alerts');
      return a.alerts.find((x) => x.labels.alertname === 'OOMKillDetected' && x.labels.comm === COMM && x.state === 'firing');
    });
    expect(alert.labels).toMatchObject({ cgroup: cgroup.path, constraint: 'memcg', killer: 'kernel', instance: 'docker-host', job: 'oom-exporter', severity: 'warning' });
    expect(alert.annotations.summary).toBe(`OOM kill of "${COMM}" in cgroup "${cgroup.path}" on docker-host`);
    expect(alert.annotations.description).toContain('constraint "memcg"');

    // Alertmanager's v2 API lists it.
    const listed = await until('OOMKillDetected in Alertmanager', 60_000, async () => {
      const res = await fetch(`${amUrl}/api/v2/alerts?${new URLSearchParams({ filter: 'alertname="OOMKillDetected"' }).toString()}`);
      const alerts = (await res.json()) as { labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }[];
      return alerts.find((x) => x.labels.comm === COMM);
    });
    expect(listed.labels.cgroup).toBe(cgroup.path);
    expect(listed.status.state).toBe('active');
    expect(listed.annotations.runbook_url).toMatch(/docs\/alerts\.md#oomkilldetected$/);

    // And the route delivers it to the webhook receiver (after group_wait).
    const note = await until('the webhook notification', 60_000, async () => notifications.find((n) => n.includes('OOMKillDetected') && n.includes(COMM)));
    const payload = JSON.parse(note) as { status: string; alerts: { labels: Record<string, string> }[] };
    expect(payload.alerts.some((a) => a.labels.comm === COMM && a.labels.alertname === 'OOMKillDetected')).toBe(true);

    // The kernel's count and the log agree: no kill is missing from the log.
    const missing = await prom<{ alerts: { labels: Record<string, string> }[] }>('/api/v1/alerts');
    expect(missing.alerts.filter((x) => x.labels.alertname === 'OOMKillsMissingFromKernelLog')).toEqual([]);
  }, 150_000);

  it('every query of every dashboard panel returns data, with the variables set to real values', async () => {
    if (!survivor?.pid) throw new Error('no survivor');
    const values: Record<string, string> = {
      datasource: 'prometheus',
      job: 'oom-exporter',
      instance: 'docker-host',
      comm: 'sleep',
      pid: String(survivor.pid),
    };
    const fill = (expr: string): string =>
      expr.replaceAll('$__rate_interval', RATE_INTERVAL).replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => {
        const v = values[a ?? b ?? ''];
        if (v === undefined) throw new Error(`no value for ${m}`);
        return v;
      });

    // The survivor must be exported before its panels can have data.
    await until('the survivor process in Prometheus', 30_000, async () => {
      const r = await prom<{ result: Series[] }>('/api/v1/query', { query: `oom_process_resident_memory_bytes{pid="${values.pid}"}` });
      return r.result.length > 0 ? true : undefined;
    });
    const failures: string[] = [];
    let checked = 0;
    for (const file of readdirSync(join(REPO, 'dashboards')).filter((f) => f.endsWith('.json'))) {
      const d = JSON.parse(readFileSync(join(REPO, 'dashboards', file), 'utf8')) as {
        templating: { list: { name: string; type: string; query?: { query: string } | string }[] };
        panels: { type: string; title: string; targets?: { refId: string; expr: string; instant?: boolean }[] }[];
      };
      // The variables offer the values substituted here.
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
        const m = /^label_values\((.*),\s*(\w+)\)$/.exec(q);
        if (!m) {
          failures.push(`${file} $${v.name}: not label_values(): ${q}`);
          continue;
        }
        const series = await prom<Record<string, string>[]>('/api/v1/series', { 'match[]': fill(m[1] ?? '') });
        const offered = new Set(series.map((s) => s[m[2] ?? '']));
        if (!offered.has(values[v.name])) failures.push(`${file} $${v.name} does not offer ${values[v.name]}`);
      }
      for (const p of d.panels.filter((x) => x.type !== 'row')) {
        for (const t of p.targets ?? []) {
          const expr = fill(t.expr);
          checked++;
          // Polled: deriv() and rate() need a second sample, and a slow scrape (seconds, with
          // thousands of processes) leaves a moment where instant queries see stale series.
          await until(`data for ${expr}`, 30_000, async () => {
            const now = Date.now() / 1000;
            const r = t.instant
              ? await prom<{ result: Series[] }>('/api/v1/query', { query: expr, time: String(now) })
              : await prom<{ result: Series[] }>('/api/v1/query_range', { query: expr, start: String(now - 120), end: String(now), step: '5' });
            return r.result.length > 0 ? true : undefined;
          }).catch((e: Error) => failures.push(`${file} "${p.title}" ${t.refId}: ${e.message}`));
        }
      }
    }
    // The overview's kill annotations include the victim (the process dashboard's are for $comm, a survivor).
    const overview = JSON.parse(readFileSync(join(REPO, 'dashboards/oom-overview.json'), 'utf8')) as { annotations: { list: { name: string; expr?: string }[] } };
    for (const a of overview.annotations.list.filter((x) => x.expr)) {
      const expr = fill(a.expr ?? '');
      await until(`the kill annotation ${a.name}`, 30_000, async () => {
        const now = Date.now() / 1000;
        const r = await prom<{ result: Series[] }>('/api/v1/query_range', { query: expr, start: String(now - 120), end: String(now), step: '5' });
        return r.result.some((x) => x.metric.comm === COMM) ? true : undefined;
      }).catch((e: Error) => failures.push(`oom-overview.json annotation "${a.name}": ${e.message}`));
    }

    expect(checked).toBeGreaterThan(20);
    expect(failures, `scrape errors: ${await scrapeErrors()}`).toEqual([]);
  }, 300_000);
});
