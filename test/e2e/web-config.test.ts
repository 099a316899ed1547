/**
 * --web.config.file end to end, with the shipped files: the built CLI refuses a bad web config at start
 * (exit 1, one line naming the file and the key), and Debian's real Prometheus scrapes the exporter with
 * deploy/prometheus/prometheus-tls.yml and the secrets deploy/web/make-secrets.sh makes: over TLS with
 * basic auth, and over mutual TLS (the example's commented lines turned on). A job without the password
 * is down with 401: the check can fail.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO, runCli, startExporter, type RunningExporter } from '../helpers/cli.js';
import { requireTool } from '../helpers/promtool.js';

const runs = (cmd: string, args = ['--version']): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** Replaces `from` with `to`, failing unless `from` is there exactly once: the shipped files must not drift from the test. */
function substitute(text: string, from: string, to: string): string {
  const n = text.split(from).length - 1;
  if (n !== 1) throw new Error(`expected "${from}" exactly once, found it ${n} times`);
  return text.replace(from, to);
}

describe('a bad web config stops the exporter at start: exit 1, one line naming the file and the key', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oom-webcfg-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string, RegExp][] = [
    [
      'a missing certificate',
      'tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n',
      /: tls_server_config\.cert_file: cannot read \/\S+\/missing\.crt: no such file$/,
    ],
    ['a hash that is not bcrypt', 'basic_auth_users:\n  prometheus: hunter2\n', /: basic_auth_users\.prometheus: not a bcrypt hash/],
    ['an unknown key', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth: RequireAndVerifyClientCert\n', /: tls_server_config\.client_auth: unknown key/],
    ['a YAML error', 'basic_auth_users:\n  prometheus: "unterminated\n', /: YAML error at line \d+ column \d+: Missing closing "quote$/],
  ];
  for (const [what, yaml, pattern] of cases) {
    it(what, async () => {
      const file = join(dir, `${what.replaceAll(' ', '-')}.yml`);
      writeFileSync(file, yaml);
      const r = await runCli([`--web.config.file=${file}`, '--kernel-log.source=none', '--web.listen-address=127.0.0.1:0']);
      expect(r.code).toBe(1);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]?.startsWith(`oom-exporter: web config ${file}: `)).toBe(true);
      expect(lines[0]).toMatch(pattern);
    });
  }

  it('a missing file, and the example as shipped (its hash is a placeholder to replace)', async () => {
    const missing = await runCli([`--web.config.file=${join(dir, 'nope.yml')}`, '--kernel-log.source=none']);
    expect([missing.code, missing.stderr]).toEqual([1, `oom-exporter: web config ${join(dir, 'nope.yml')}: cannot read: no such file\n`]);
    const example = join(REPO, 'deploy/web/web-config.example.yml');
    const shipped = await runCli([`--web.config.file=${example}`, '--kernel-log.source=none']);
    expect(shipped.code).toBe(1);
    expect(shipped.stderr).toMatch(new RegExp(`^oom-exporter: web config ${example}: basic_auth_users\\.prometheus: not a bcrypt hash[^\\n]*\\n$`));
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  srv.close();
  await once(srv, 'close');
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
  scrapeUrl: string;
}

describe.runIf(requireTool(runs('prometheus'), 'prometheus') && requireTool(runs('openssl', ['version']), 'openssl'))(
  'real Prometheus scrapes the exporter behind the shipped web config',
  () => {
    let dir = '';
    let basicAuth: RunningExporter | undefined;
    let mtls: RunningExporter | undefined;
    let prometheus: ChildProcess | undefined;
    let promOutput = '';
    let promUrl = '';

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'oom-webprom-'));
      const secrets = join(dir, 'oom-exporter-web');
      const made = spawnSync('bash', [join(REPO, 'deploy/web/make-secrets.sh'), secrets], { encoding: 'utf8' });
      expect(made.status, made.stderr).toBe(0);

      basicAuth = await startExporter([`--web.config.file=${join(secrets, 'web-config.yml')}`, '--kernel-log.source=none']);
      // The example with mutual TLS turned on, and no password.
      let example = readFileSync(join(REPO, 'deploy/web/web-config.example.yml'), 'utf8');
      example = substitute(example, '# client_auth_type: RequireAndVerifyClientCert', 'client_auth_type: RequireAndVerifyClientCert');
      example = substitute(example, '# client_ca_file: ca.crt', 'client_ca_file: ca.crt');
      example = substitute(example, 'basic_auth_users:\n  prometheus: REPLACE_WITH_A_BCRYPT_HASH\n', '');
      writeFileSync(join(secrets, 'web-config-mtls.yml'), example);
      mtls = await startExporter([`--web.config.file=${join(secrets, 'web-config-mtls.yml')}`, '--kernel-log.source=none']);

      // prometheus-tls.yml as shipped, beside the secrets directory it names relatively; only addresses,
      // paths and intervals substituted. Then a mutual-TLS job made from its job, and one without the password.
      let text = readFileSync(join(REPO, 'deploy/prometheus/prometheus-tls.yml'), 'utf8');
      text = substitute(text, 'scrape_interval: 15s', 'scrape_interval: 2s\n  scrape_timeout: 2s');
      text = substitute(text, '- rules/oom-exporter.rules.yml', `- ${join(REPO, 'deploy/prometheus/rules/oom-exporter.rules.yml')}`);
      text = substitute(text, "'alertmanager:9093'", `'127.0.0.1:${await freePort()}'`);
      text = substitute(text, "'oom-exporter:19857'", `'127.0.0.1:${basicAuth.port}'`);
      text = substitute(text, '# cert_file: oom-exporter-web/client.crt', 'cert_file: oom-exporter-web/client.crt');
      text = substitute(text, '# key_file: oom-exporter-web/client.key', 'key_file: oom-exporter-web/client.key');
      const config = parse(text) as { scrape_configs: Record<string, unknown>[] };
      const job = config.scrape_configs[0] ?? {};
      const target = (port: number) => [{ targets: [`127.0.0.1:${port}`], labels: { instance: 'docker-host' } }];
      // The shipped job keeps only its CA (a client certificate is not needed for the basic-auth exporter).
      const { cert_file: _c, key_file: _k, ...caOnly } = job.tls_config as Record<string, string>;
      config.scrape_configs = [
        { ...job, tls_config: caOnly },
        { ...job, job_name: 'mtls', basic_auth: undefined, static_configs: target(mtls.port) },
        { ...job, job_name: 'no-password', basic_auth: undefined, tls_config: caOnly },
      ].map((j) => Object.fromEntries(Object.entries(j).filter(([, v]) => v !== undefined)));
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));

      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      mkdirSync(join(dir, 'data'));
      prometheus = spawn(
        'prometheus',
        [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      prometheus.stdout?.on('data', (c: Buffer) => (promOutput += c.toString()));
      prometheus.stderr?.on('data', (c: Buffer) => (promOutput += c.toString()));
    }, 90_000);

    afterAll(async () => {
      if (prometheus && prometheus.exitCode === null) {
        const gone = once(prometheus, 'exit');
        prometheus.kill('SIGTERM');
        await gone;
      }
      await basicAuth?.stop();
      await mtls?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('the TLS + basic auth target and the mutual-TLS target are up; the one without the password is down with 401', async () => {
      const deadline = Date.now() + 60_000;
      let targets: Target[] = [];
      for (;;) {
        try {
          const res = await fetch(`${promUrl}/api/v1/targets`);
          targets = ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
        } catch {
          targets = [];
        }
        const by = (job: string) => targets.find((t) => t.labels.job === job);
        const settled = by('oom-exporter')?.health === 'up' && by('mtls')?.health === 'up' && by('no-password')?.health === 'down';
        if (settled || Date.now() > deadline) break;
        await sleep(500);
      }
      const by = (job: string) => targets.find((t) => t.labels.job === job);
      const explain = `${JSON.stringify(targets, null, 1)}\n${promOutput.slice(-2000)}`;
      expect(by('oom-exporter')?.health, explain).toBe('up');
      expect(by('oom-exporter')?.scrapeUrl).toMatch(/^https:\/\//);
      expect(by('mtls')?.health, explain).toBe('up');
      expect(by('no-password')?.health, explain).toBe('down');
      expect(by('no-password')?.lastError).toMatch(/401/);

      // And the samples are there: the exporter's own series, scraped over TLS.
      const q = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: 'count by (job) (oom_exporter_build_info)' }).toString()}`);
      const result = ((await q.json()) as { data: { result: { metric: { job: string } }[] } }).data.result;
      expect(result.map((r) => r.metric.job).sort()).toEqual(['mtls', 'oom-exporter']);
    }, 90_000);
  },
);
