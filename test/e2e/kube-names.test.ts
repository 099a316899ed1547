/**
 * Kubernetes names on a real OOM kill: a real memory cgroup at a kubepods path of kubelet's cgroupfs
 * driver (`/kubepods/burstable/pod<uid>/<container id>`, cgroup v1), a kubelet-style log tree for that pod
 * in a temporary directory given with --path.varlog, and a real OOM kill in it. The kill's cgroup must carry
 * the namespace, pod and container on oom_cgroup_info, in the API and in `kills --json`; and a real
 * Prometheus evaluating the shipped rules file must fire OOMKillDetected naming them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startExporter, type RunningExporter } from '../helpers/cli.js';
import { find, parseMetrics } from '../helpers/metrics.js';
import { makeMemoryCgroupAt, realOomKill, type MemoryCgroup, type RealOomKill } from '../helpers/oom.js';
import { commandRuns, freePort, SHIPPED_RULES, shippedPrometheusConfig, startPrometheus, until, type RunningPrometheus } from '../helpers/prometheus.js';
import { requireTool } from '../helpers/promtool.js';
import { requireRoot } from '../helpers/root.js';

const suffix = randomBytes(3).toString('hex');
const NAMESPACE = `oomtest-${suffix}`;
const POD = `celery-worker-${suffix}`;
const CONTAINER = 'worker';
const COMM = `celery ${suffix}`;

/** Root (cgroups, /dev/kmsg) and the prometheus binary; CI has both. */
function canRun(): boolean {
  const root = requireRoot();
  const prom = requireTool(commandRuns('prometheus'), 'prometheus');
  return root && prom;
}

describe.runIf(canRun())('Kubernetes names on a real OOM kill in a kubepods cgroup', () => {
  const uid = randomUUID();
  const containerId = randomBytes(32).toString('hex');
  let varlog = '';
  let cg: MemoryCgroup;
  let exp: RunningExporter;
  let kill: RealOomKill;
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    varlog = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-varlog-'));
    // As kubelet lays it out (kuberuntime helpers): the pod's directory and the container's link.
    fs.mkdirSync(path.join(varlog, 'pods', `${NAMESPACE}_${POD}_${uid}`, CONTAINER), { recursive: true });
    fs.writeFileSync(path.join(varlog, 'pods', `${NAMESPACE}_${POD}_${uid}`, CONTAINER, '0.log'), '');
    fs.mkdirSync(path.join(varlog, 'containers'));
    fs.symlinkSync(
      path.join(varlog, 'pods', `${NAMESPACE}_${POD}_${uid}`, CONTAINER, '0.log'),
      path.join(varlog, 'containers', `${POD}_${NAMESPACE}_${CONTAINER}-${containerId}.log`),
    );
    cg = makeMemoryCgroupAt(`/kubepods/burstable/pod${uid}/${containerId}`);
    // Only this test's victim is exported: a scrape stays small however busy the machine.
    exp = await startExporter(['--kernel-log.source=kmsg', `--path.varlog=${varlog}`, `--process.include=${COMM.slice(0, 15).replace(/ /g, '\\s')}`]);
    // The shipped rules file as is; only addresses and intervals differ from the compose stack's config.
    prometheus = await startPrometheus(
      varlog,
      shippedPrometheusConfig({
        exporterPort: exp.port,
        alertmanager: `127.0.0.1:${await freePort()}`,
        scrapeInterval: '2s',
        evaluationInterval: '1s',
        rulesFile: SHIPPED_RULES,
      }),
    );
    // The kill must come after Prometheus's first scrape: a series it meets at its first scrape is an old
    // one (the rules do not count it), as after a Prometheus restart.
    await until('the exporter scraped', 60_000, async () => ((await prometheus!.api.query('up')).some((r) => r.value?.[1] === '1') ? true : undefined));
    // A second old when it dies: the exporter has seen it alive too.
    kill = await realOomKill(COMM, cg, 1);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await exp?.stop();
    await cg?.remove();
    if (varlog !== '') fs.rmSync(varlog, { recursive: true, force: true });
  });

  it("oom_cgroup_info of the kill's cgroup carries the namespace, pod and container", async () => {
    let info: ReturnType<typeof find> = [];
    for (let i = 0; i < 100 && info.length === 0; i++) {
      const s = parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
      if (find(s, 'oom_kill_events_total', { comm: COMM, cgroup: cg.path }).length > 0) info = find(s, 'oom_cgroup_info', { cgroup: cg.path });
      if (info.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(info).toHaveLength(1);
    expect(info[0]!.labels).toMatchObject({ pod_uid: uid, container_id: containerId, namespace: NAMESPACE, pod: POD, container: CONTAINER });
  });

  it('the API and `kills --json` name them too', async () => {
    const body = (await (await fetch(`${exp.url}/api/v1/kills`)).json()) as { data: { kills: Record<string, unknown>[] } };
    const listed = body.data.kills.find((k) => k['pid'] === kill.pid && k['comm'] === COMM);
    expect(listed).toMatchObject({ cgroup: cg.path, namespace: NAMESPACE, pod: POD, container: CONTAINER });

    const { code, stdout } = await runCli(['kills', '--json', `--path.varlog=${varlog}`]);
    expect(code).toBe(0);
    const mine = stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((k) => k['pid'] === kill.pid && k['comm'] === COMM);
    expect(mine).toMatchObject({ memcg: cg.path, namespace: NAMESPACE, pod: POD, container: CONTAINER });
  });

  it('a real Prometheus evaluating the shipped rules fires OOMKillDetected with the namespace, pod and container', { timeout: 120_000 }, async () => {
    const alert = await until('OOMKillDetected for this kill', 90_000, async () =>
      (await prometheus!.api.alerts()).find((a) => a.labels['alertname'] === 'OOMKillDetected' && a.labels['comm'] === COMM && a.state === 'firing'),
    );
    expect(alert.labels).toMatchObject({ cgroup: cg.path, namespace: NAMESPACE, pod: POD, container: CONTAINER });
    // (The shipped prometheus.yml names the instance as the compose stack's host.)
    expect(alert.annotations['summary']).toBe(`OOM kill of "${COMM}" in pod ${NAMESPACE}/${POD} container ${CONTAINER} on ${alert.labels['instance']}`);
    expect(alert.annotations['description']).toContain(`namespace "${NAMESPACE}", pod "${POD}", container "${CONTAINER}", cgroup "${cg.path}"`);
  });
});
