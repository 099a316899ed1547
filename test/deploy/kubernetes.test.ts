import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { commandLine, readRepo, REPO, run } from './tools.js';

const DIR = 'deploy/kubernetes';
const kustomization = parse(readRepo(`${DIR}/kustomization.yaml`)) as { resources: string[]; namespace: string };
const docs = kustomization.resources.flatMap((f) => parseAllDocuments(readRepo(`${DIR}/${f}`)).map((d) => d.toJS() as { kind: string; metadata: { name: string } }));
function one<T>(kind: string): T {
  const found = docs.filter((d) => d.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Namespace,
  Service,
  DaemonSet,
  ServiceMonitor,
  PrometheusRule,
};

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
}

/** RFC 6902 add and replace, the operations the overlay uses (kustomize applies it for real). */
function applyJsonPatch(doc: unknown, { op, path, value }: JsonPatchOp): void {
  if (op !== 'add' && op !== 'replace') throw new Error(`unsupported op ${op}`);
  const parts = path.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = parts.pop() ?? '';
  let at = doc as Record<string, unknown>;
  for (const p of parts) {
    const next = at[p];
    if (typeof next !== 'object' || next === null) throw new Error(`${path}: no ${p}`);
    at = next as Record<string, unknown>;
  }
  if (Array.isArray(at)) {
    if (last === '-') at.push(value);
    else at.splice(Number(last), op === 'replace' ? 1 : 0, value);
  } else {
    if (op === 'replace' && !(last in at)) throw new Error(`${path}: nothing to replace`);
    at[last] = value;
  }
}

describe('Kubernetes manifests', () => {
  it('kustomization lists every manifest in the directory', () => {
    const files = readdirSync(join(REPO, DIR)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBe('oom-exporter');
  });

  it('validate against the Kubernetes and prometheus-operator schemas', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['DaemonSet', 'Namespace', 'PrometheusRule', 'Service', 'ServiceMonitor']);
    for (const d of docs) {
      const Model = MODELS[d.kind];
      expect(Model, d.kind).toBeDefined();
      if (Model) expect(() => new Model(d as never).validate(), `${d.kind}/${d.metadata.name}`).not.toThrow();
    }
  });

  it('the schema validation rejects a broken manifest (the check can fail)', () => {
    const ds = structuredClone(one<Record<string, unknown>>('DaemonSet')) as { spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } };
    const port = ds.spec.template.spec.containers[0]?.ports[0];
    if (port) port.containerPort = 'metrics';
    expect(() => new DaemonSet(ds as never).validate()).toThrow(/containerPort/);
  });

  it('the DaemonSet runs on every node, hostPID, host /proc and /sys read-only, /dev/kmsg, non-root with only CAP_SYSLOG', () => {
    interface Container {
      args: string[];
      ports: { name: string; containerPort: number }[];
      securityContext: { privileged?: boolean; readOnlyRootFilesystem?: boolean; capabilities: { add: string[]; drop: string[] } };
      resources: { requests: Record<string, string>; limits: Record<string, string> };
      livenessProbe: { httpGet: { path: string; port: string | number } };
      readinessProbe: { httpGet: { path: string; port: string | number } };
      volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
    }
    const ds = one<{
      spec: { template: { metadata: { labels: Record<string, string> }; spec: {
        hostPID: boolean;
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        tolerations: { operator: string; key?: string }[];
        containers: Container[];
        volumes: { name: string; hostPath: { path: string; type?: string } }[];
      } } };
    }>('DaemonSet');
    const pod = ds.spec.template.spec;
    expect(pod.hostPID).toBe(true);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0] as Container;
    expect(c.securityContext.privileged).toBeUndefined();
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['SYSLOG'] });
    for (const k of ['cpu', 'memory']) {
      expect(c.resources.requests[k], `requests.${k}`).toBeTruthy();
      expect(c.resources.limits[k], `limits.${k}`).toBeTruthy();
    }
    expect(c.ports).toContainEqual(expect.objectContaining({ name: 'metrics', containerPort: 19857 }));
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      expect(probe.httpGet.path).toBe('/healthz');
      expect(probe.httpGet.port).toBe('metrics');
    }
    const hostPathOf = (name: string): string | undefined => pod.volumes.find((v) => v.name === name)?.hostPath.path;
    const mounts = new Map(c.volumeMounts.map((m) => [m.mountPath, m]));
    expect(hostPathOf(mounts.get('/host/proc')?.name ?? '')).toBe('/proc');
    expect(hostPathOf(mounts.get('/host/sys')?.name ?? '')).toBe('/sys');
    expect(hostPathOf(mounts.get('/dev/kmsg')?.name ?? '')).toBe('/dev/kmsg');
    // Host mounts read-only; the one writable mount is the state file's emptyDir.
    for (const m of c.volumeMounts) if (m.name !== 'state') expect(m.readOnly, m.mountPath).toBe(true);
    expect(c.volumeMounts.find((m) => m.name === 'state')?.mountPath).toBe('/var/lib/oom-exporter');

    // The args, through the real flag parser: each path the exporter reads is a mount of the right host path.
    const { config, changed } = commandLine(c.args);
    expect(changed).toEqual({ procfs: '/host/proc', sysfs: '/host/sys', kernelLogStateFile: '/var/lib/oom-exporter/kernel-log.json' });
    expect(hostPathOf(mounts.get(config.procfs)?.name ?? '')).toBe('/proc');
    expect(hostPathOf(mounts.get(config.sysfs)?.name ?? '')).toBe('/sys');
    expect(hostPathOf(mounts.get(config.varlog)?.name ?? '')).toBe('/var/log');
    expect(mounts.get(dirname(config.kernelLogStateFile ?? ''))?.name).toBe('state');
    expect(c.ports.find((p) => p.name === 'metrics')?.containerPort).toBe(config.listen.port);
  });

  it('Service and ServiceMonitor select the DaemonSet pods and its metrics port; job is "oom-exporter"', () => {
    const ds = one<{ spec: { template: { metadata: { labels: Record<string, string> } } } }>('DaemonSet');
    const svc = one<{ metadata: { name: string; labels: Record<string, string> }; spec: { selector: Record<string, string>; ports: { name: string; port: number }[] } }>('Service');
    const sm = one<{ spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; relabelings?: { sourceLabels?: string[]; targetLabel?: string }[] }[] } }>('ServiceMonitor');
    expect(ds.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    expect(svc.metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    expect(svc.spec.ports.map((p) => p.name)).toContain(sm.spec.endpoints[0]?.port);
    // The operator names the job after the Service; OOMExporterDown watches up{job="oom-exporter"}.
    expect(svc.metadata.name).toBe('oom-exporter');
    expect(sm.spec.endpoints[0]?.relabelings).toContainEqual(expect.objectContaining({ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'instance' }));
  });

  it('the TLS overlay (deploy/kubernetes/tls): web config from a Secret, HTTPS probes without a password, Prometheus with CA and basic auth', () => {
    const overlay = parse(readRepo(`${DIR}/tls/kustomization.yaml`)) as { resources: string[]; patches: { target: { kind: string; name: string }; patch: string }[] };
    expect(overlay.resources).toEqual(['..']);
    const patched = structuredClone(docs);
    for (const { target, patch } of overlay.patches) {
      const doc = patched.find((d) => d.kind === target.kind && d.metadata.name === target.name);
      expect(doc, `${target.kind}/${target.name}`).toBeDefined();
      for (const op of parse(patch) as JsonPatchOp[]) applyJsonPatch(doc, op);
    }
    for (const d of patched) {
      const Model = MODELS[d.kind];
      if (Model) expect(() => new Model(d as never).validate(), `${d.kind}/${d.metadata.name}`).not.toThrow();
    }
    type Probe = { httpGet: { path: string; scheme?: string; httpHeaders?: unknown } };
    const ds = patched.find((d) => d.kind === 'DaemonSet') as unknown as {
      spec: { template: { spec: {
        securityContext: { fsGroup?: number; runAsUser: number };
        containers: { args: string[]; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]; livenessProbe: Probe; readinessProbe: Probe }[];
        volumes: { name: string; secret?: { secretName: string; defaultMode?: number } }[];
      } } };
    };
    const pod = ds.spec.template.spec;
    const c = pod.containers[0];
    const base = one<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>('DaemonSet').spec.template.spec.containers[0]?.args ?? [];
    const { config, changed } = commandLine(c?.args ?? []);
    expect(changed).toEqual({ ...commandLine(base).changed, webConfigFile: '/etc/oom-exporter/web/web-config.yml' });
    expect(c?.volumeMounts).toContainEqual({ name: 'web', mountPath: dirname(config.webConfigFile ?? ''), readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'web', secret: { secretName: 'oom-exporter-web', defaultMode: 0o440 } });
    // The key is readable by the exporter's group, not by the world.
    expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsUser);
    for (const probe of [c?.livenessProbe, c?.readinessProbe]) {
      expect(probe?.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS' });
      // No password in the pod spec: /healthz is outside basic auth (src/web/security.ts).
      expect(probe?.httpGet.httpHeaders).toBeUndefined();
    }
    const sm = patched.find((d) => d.kind === 'ServiceMonitor') as unknown as { spec: { endpoints: Record<string, unknown>[] } };
    expect(sm.spec.endpoints[0]).toMatchObject({
      scheme: 'https',
      tlsConfig: { ca: { secret: { name: 'oom-exporter-scrape', key: 'ca.crt' } }, serverName: 'oom-exporter' },
      basicAuth: { username: { name: 'oom-exporter-scrape', key: 'username' }, password: { name: 'oom-exporter-scrape', key: 'password' } },
    });
    // The certificate make-secrets.sh makes is for that server name.
    expect(readRepo('deploy/web/make-secrets.sh')).toContain('DNS:oom-exporter');
  });

  it('the PrometheusRule carries exactly the groups of the one rules file, and is what the generator writes', () => {
    const pr = one<{ spec: { groups: unknown[] } }>('PrometheusRule');
    const rules = parse(readRepo('deploy/prometheus/rules/oom-exporter.rules.yml')) as { groups: unknown[] };
    expect(pr.spec.groups).toEqual(rules.groups);
    const generated = run(process.execPath, ['scripts/gen-prometheusrule.mjs', '--stdout']);
    expect(generated.status, generated.output).toBe(0);
    expect(generated.output).toBe(readRepo(`${DIR}/prometheusrule.yaml`));
    const check = run(process.execPath, ['scripts/gen-prometheusrule.mjs', '--check']);
    expect(check.status, check.output).toBe(0);
  });
});
