/**
 * A real Prometheus for end-to-end tests: Debian's `prometheus` binary run with the shipped
 * deploy/prometheus/prometheus.yml (only addresses, paths and intervals substituted), and the small HTTP
 * API client the tests query it with.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO } from './cli.js';

/** Whether `cmd --version` runs. */
export function commandRuns(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  srv.close();
  await once(srv, 'close');
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/**
 * Replaces `from` with `to`, and fails unless `from` is there exactly `times` times: the shipped files
 * must not drift from the tests that run them.
 */
export function substitute(text: string, from: string, to: string, times = 1): string {
  const n = text.split(from).length - 1;
  if (n !== times) throw new Error(`expected "${from}" exactly ${times === 1 ? 'once' : `${times} times`} in the config, found it ${n} times`);
  return text.replaceAll(from, to);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined), or throws with `what` after `ms`. */
export async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(everyMs);
  }
}

export interface Daemon {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
}

export function startDaemon(cmd: string, args: string[]): Daemon {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

export async function stopDaemon(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export interface Series {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}

interface PromResponse<T> {
  status: string;
  data: T;
  error?: string;
}

export interface PromApi {
  /** GET /api/v1/...: the response's data, or an error naming the request. */
  get<T>(path: string, params?: Record<string, string>): Promise<T>;
  /** An instant query (now, or at `time` in seconds): its vector, or its matrix for a range selector. */
  query(expr: string, time?: number): Promise<Series[]>;
  /** The alerts the rules have pending or firing now. */
  alerts(): Promise<PromAlert[]>;
}

export function promApi(url: string): PromApi {
  const get = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params).toString()}`);
    const body = (await res.json()) as PromResponse<T>;
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    get,
    query: async (expr, time) => (await get<{ result: Series[] }>('/api/v1/query', { query: expr, ...(time === undefined ? {} : { time: String(time) }) })).result,
    alerts: async () => (await get<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts,
  };
}

export interface ShippedConfigOptions {
  /** The exporter's port on 127.0.0.1. */
  exporterPort: number;
  /** host:port of the Alertmanager to notify. */
  alertmanager: string;
  scrapeInterval: string;
  evaluationInterval: string;
  /** The rules file to load, as an absolute path: the shipped one, or a copy made from it by substitute(). */
  rulesFile: string;
}

/** deploy/prometheus/prometheus.yml with only addresses, the rules path and the intervals substituted. */
export function shippedPrometheusConfig(o: ShippedConfigOptions): string {
  let text = readFileSync(join(REPO, 'deploy/prometheus/prometheus.yml'), 'utf8');
  // The scrape timeout is the interval: a scrape walks every process, which takes a while on a busy machine.
  text = substitute(text, 'scrape_interval: 15s', `scrape_interval: ${o.scrapeInterval}\n  scrape_timeout: ${o.scrapeInterval}`);
  text = substitute(text, 'evaluation_interval: 15s', `evaluation_interval: ${o.evaluationInterval}`);
  text = substitute(text, '- rules/oom-exporter.rules.yml', `- ${o.rulesFile}`);
  text = substitute(text, "'alertmanager:9093'", `'${o.alertmanager}'`);
  text = substitute(text, "'oom-exporter:19857'", `'127.0.0.1:${o.exporterPort}'`);
  return text;
}

export const SHIPPED_RULES = join(REPO, 'deploy/prometheus/rules/oom-exporter.rules.yml');

export interface RunningPrometheus {
  url: string;
  api: PromApi;
  daemon: Daemon;
  stop(): Promise<void>;
}

/** Starts Prometheus on `config` (written to DIR/prometheus.yml, data in DIR/prometheus-data) and resolves once it is ready. */
export async function startPrometheus(dir: string, config: string): Promise<RunningPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'prometheus.yml'), config);
  mkdirSync(join(dir, 'prometheus-data'));
  const daemon = startDaemon('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  const running: RunningPrometheus = { url, api: promApi(url), daemon, stop: () => stopDaemon(daemon.child) };
  try {
    const state = await until('Prometheus to be ready', 60_000, async () => {
      if (daemon.child.exitCode !== null) return 'exited';
      return (await fetch(`${url}/-/ready`)).ok ? 'ready' : undefined;
    });
    if (state === 'exited') throw new Error(`prometheus exited with ${daemon.child.exitCode}`);
  } catch (e) {
    await running.stop();
    throw new Error(`${(e as Error).message}\n${daemon.output().slice(-2000)}`, { cause: e });
  }
  return running;
}
