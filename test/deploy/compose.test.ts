import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine, readRepo, readYaml } from './tools.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  pid?: string;
  volumes?: string[];
  devices?: string[];
  cap_add?: string[];
  cap_drop?: string[];
  user?: string;
  read_only?: boolean;
  privileged?: boolean;
  security_opt?: string[];
  environment?: Record<string, string>;
  ports?: string[];
}
const compose = readYaml<{ services: Record<string, Service> }>('docker-compose.yml');
const services = compose.services;

/** A tag that names a release (x.y or x.y.z, optional v): never latest, never a bare major. */
const PINNED = /^[\w./-]+:v?\d+\.\d+(\.\d+)?([-.][\w.-]+)?$/;

describe('docker-compose.yml', () => {
  it('has the exporter, Prometheus, Alertmanager, Grafana and the webhook logger', () => {
    expect(Object.keys(services).sort()).toEqual(['alert-logger', 'alertmanager', 'grafana', 'oom-exporter', 'prometheus']);
  });

  it('pins every image it pulls to a version', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build !== undefined) continue; // built here from the Dockerfile, whose base image is pinned
      expect(s.image, name).toMatch(PINNED);
    }
    expect(PINNED.test('prom/prometheus:latest')).toBe(false);
    expect(PINNED.test('grafana/grafana:11')).toBe(false);
  });

  it('builds the exporter and runs it hardened: host PID, read-only host /proc and /sys, /dev/kmsg, only CAP_SYSLOG, non-root', () => {
    const e = services['oom-exporter'];
    expect(e?.build).toBe('.');
    expect(e?.pid).toBe('host');
    // Host mounts read-only; the one writable mount is the exporter's own state volume.
    for (const v of e?.volumes ?? []) {
      if (v === 'oom-exporter-state:/var/lib/oom-exporter') continue;
      expect(v, 'every host mount read-only').toMatch(/:ro$/);
    }
    expect(e?.command).toContain('--kernel-log.state-file=/var/lib/oom-exporter/kernel-log.json');
    expect(e?.devices).toEqual(['/dev/kmsg:/dev/kmsg']);
    expect(e?.cap_drop).toEqual(['ALL']);
    expect(e?.cap_add).toEqual(['SYSLOG']);
    expect(e?.privileged).toBeUndefined();
    // no-new-privileges would void the node binary's file capability (see Dockerfile).
    expect(e?.security_opt ?? []).not.toContain('no-new-privileges:true');
    expect(e?.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(e?.read_only).toBe(true);
    // Loopback only: Prometheus reaches it over the stack's network, and nobody else should without TLS and auth.
    expect(e?.ports).toEqual(['127.0.0.1:19857:19857']);
  });

  it("the exporter's command line, through the real flag parser: the host's /proc and /sys as mounted, the state file on the writable volume", () => {
    const e = services['oom-exporter'];
    const { config, changed } = commandLine(e?.command ?? []);
    expect(changed).toEqual({ procfs: '/host/proc', sysfs: '/host/sys', kernelLogStateFile: '/var/lib/oom-exporter/kernel-log.json' });
    const mounts = new Map((e?.volumes ?? []).map((v) => [v.split(':')[1], v]));
    expect(mounts.get(config.procfs)).toBe('/proc:/host/proc:ro');
    expect(mounts.get(config.sysfs)).toBe('/sys:/host/sys:ro');
    expect(mounts.get(dirname(config.kernelLogStateFile ?? ''))).toBe('oom-exporter-state:/var/lib/oom-exporter');
    expect(e?.ports).toEqual([`127.0.0.1:${config.listen.port}:${config.listen.port}`]);
  });

  it('Prometheus gets the repo config and rules, scrapes the exporter and alerts Alertmanager by service name', () => {
    const p = services.prometheus;
    expect(p?.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    expect(p?.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const prom = readYaml<{
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }>('deploy/prometheus/prometheus.yml');
    expect(prom.rule_files).toEqual(['rules/oom-exporter.rules.yml']);
    expect(prom.scrape_configs.find((s) => s.job_name === 'oom-exporter')?.static_configs[0]?.targets).toEqual(['oom-exporter:19857']);
    expect(prom.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['alertmanager:9093']);
    for (const host of ['oom-exporter', 'alertmanager']) expect(services[host]).toBeDefined();
  });

  it('Alertmanager sends to the logging webhook in the stack', () => {
    const am = services.alertmanager;
    expect(am?.volumes).toContain('./deploy/alertmanager:/etc/alertmanager:ro');
    const cfg = readYaml<{ route: { receiver: string }; receivers: { name: string; webhook_configs?: { url: string }[] }[] }>('deploy/alertmanager/alertmanager.yml');
    const receiver = cfg.receivers.find((r) => r.name === cfg.route.receiver);
    const url = new URL(receiver?.webhook_configs?.[0]?.url ?? 'http://missing');
    expect(services[url.hostname]).toBeDefined();
    expect(services[url.hostname]?.command?.join(' ')).toContain(`listen(${url.port}`);
  });

  it('Grafana allows anonymous viewers and opens on the overview dashboard', () => {
    const g = services.grafana;
    expect(g?.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(g?.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(g?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toMatch(/oom-overview\.json$/);
    expect(g?.ports).toContain('3000:3000');
  });
});

describe('docker-compose.tls.yml (the stack behind --web.config.file)', () => {
  const tls = readYaml<{ services: Record<string, Service> }>('docker-compose.tls.yml').services;
  type Job = { job_name: string; scheme?: string; tls_config?: Record<string, string>; basic_auth?: Record<string, string> };
  type PromConfig = { scrape_configs: Job[] };

  it("runs the exporter with the base command plus --web.config.file, on make-secrets.sh's files", () => {
    const e = tls['oom-exporter'];
    expect(e?.command).toEqual([...(services['oom-exporter']?.command ?? []), '--web.config.file=/etc/oom-exporter/web/web-config.yml']);
    const { config, changed } = commandLine(e?.command ?? []);
    expect(changed).toEqual({ ...commandLine(services['oom-exporter']?.command ?? []).changed, webConfigFile: '/etc/oom-exporter/web/web-config.yml' });
    expect(e?.volumes).toEqual([`./deploy/web/secrets:${dirname(config.webConfigFile ?? '')}:ro`]);
    expect(readRepo('deploy/web/make-secrets.sh')).toMatch(/\$here\/secrets/);
    expect(readRepo('.gitignore')).toMatch(/^\/deploy\/web\/secrets\/$/m);
  });

  it('points Prometheus at prometheus-tls.yml, which is prometheus.yml but for HTTPS, the CA and basic auth', () => {
    const p = tls.prometheus;
    const base = services.prometheus?.command ?? [];
    expect(p?.command).toEqual(base.map((a) => (a === '--config.file=/etc/prometheus/prometheus.yml' ? '--config.file=/etc/prometheus/prometheus-tls.yml' : a)));
    expect(p?.volumes).toEqual(['./deploy/web/secrets:/etc/prometheus/oom-exporter-web:ro']);
    const plain = readYaml<PromConfig>('deploy/prometheus/prometheus.yml');
    const secured = readYaml<PromConfig>('deploy/prometheus/prometheus-tls.yml');
    const job = secured.scrape_configs.find((j) => j.job_name === 'oom-exporter');
    expect(job?.scheme).toBe('https');
    expect(job?.tls_config).toEqual({ ca_file: 'oom-exporter-web/ca.crt' });
    expect(job?.basic_auth).toEqual({ username: 'prometheus', password_file: 'oom-exporter-web/password' });
    // Nothing else drifts from prometheus.yml.
    for (const j of secured.scrape_configs) {
      delete j.scheme;
      delete j.tls_config;
      delete j.basic_auth;
    }
    expect(secured).toEqual(plain);
  });
});

describe('Dockerfile', () => {
  const text = readRepo('Dockerfile');
  const lines = text.split('\n').filter((l) => !l.startsWith('#'));
  const from = lines.filter((l) => /^FROM /.test(l));

  it('is multi-stage on a pinned node:20 bookworm-slim', () => {
    expect(from.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
    for (const f of from) expect(f).toMatch(/^FROM \$\{NODE_IMAGE\}/);
  });

  it('builds with npm ci and ships only production dependencies', () => {
    expect(text).toMatch(/RUN npm ci\b/);
    expect(text).toMatch(/npm run build/);
    expect(text).toMatch(/npm prune --omit=dev/);
    expect(text).toMatch(/COPY --from=build \/src\/dist \.\/dist/);
  });

  it('runs node dist/cli.js as a numeric non-root user, with CAP_SYSLOG as a file capability', () => {
    const user = /^USER (\d+)(:\d+)?$/m.exec(text);
    expect(Number(user?.[1])).toBeGreaterThan(0);
    // No V8 flags here: the program sets its own (src/v8-settings.ts), however it is started.
    expect(text).toMatch(/^ENTRYPOINT \["node", "dist\/cli\.js"\]$/m);
    // Its CMD, the flags a plain `docker run` gets, through the real flag parser: the defaults.
    const cmd = /^CMD (\[.*\])$/m.exec(text)?.[1];
    expect(commandLine(JSON.parse(cmd ?? 'null') as string[]).changed).toEqual({});
    expect(text).toMatch(/setcap cap_syslog=ep \/usr\/local\/bin\/node/);
    // The listen port matches compose, the DaemonSet and prometheus.yml.
    expect(text).toMatch(/^EXPOSE 19857$/m);
  });
});
