import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CONTRACT_METRICS, counterFunctionRanges, metricNames } from './contract.js';
import { readRepo, readYaml, REPO, run, tool } from './tools.js';

interface Target { refId: string; expr: string; datasource?: { uid?: string } }
interface Override {
  matcher: { id: string; options: string };
  properties: { id: string; value: unknown }[];
}
interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; max?: number; custom?: { stacking?: { mode: string } } }; overrides?: Override[] };
  panels?: Panel[];
}
interface Variable { name: string; type: string; query?: unknown; multi?: boolean; includeAll?: boolean }
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: Variable[] };
  annotations: { list: { name: string; expr?: string; datasource?: { uid?: string } }[] };
  panels: Panel[];
}

/** The dashboards and the uids links and bookmarks depend on: changing one breaks them. */
const EXPECTED_UIDS: Record<string, string> = { 'oom-overview.json': 'oom-overview', 'oom-process.json': 'oom-process' };

const files = readdirSync(join(REPO, 'dashboards')).filter((f) => f.endsWith('.json')).sort();
const dashboards = files.map((f) => ({ file: f, d: JSON.parse(readRepo(`dashboards/${f}`)) as Dashboard }));

function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}
function dataPanels(d: Dashboard): Panel[] {
  return allPanels(d).filter((p) => p.type !== 'row');
}
/** Every PromQL expression of a dashboard: panel targets and annotation queries. */
function queries(d: Dashboard): { where: string; expr: string }[] {
  return [
    ...dataPanels(d).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${p.title}/${t.refId}`, expr: t.expr }))),
    ...d.annotations.list.flatMap((a) => (a.expr ? [{ where: `annotation ${a.name}`, expr: a.expr }] : [])),
  ];
}

describe('dashboards', () => {
  it('are exactly the two expected files, with stable and unique uids', () => {
    expect(files).toEqual(Object.keys(EXPECTED_UIDS).sort());
    for (const { file, d } of dashboards) expect(d.uid).toBe(EXPECTED_UIDS[file]);
    expect(new Set(dashboards.map(({ d }) => d.uid)).size).toBe(dashboards.length);
  });

  describe.each(dashboards)('$file', ({ d }) => {
    it('is a Grafana 10/11 dashboard (schemaVersion ~39) with a title', () => {
      expect(d.schemaVersion).toBeGreaterThanOrEqual(38);
      expect(d.schemaVersion).toBeLessThanOrEqual(41);
      expect(d.title).toBeTruthy();
    });

    it('has datasource, job and instance variables, and every $variable it uses is defined', () => {
      const vars = new Map(d.templating.list.map((v) => [v.name, v]));
      expect(vars.get('datasource')?.type).toBe('datasource');
      expect((vars.get('datasource') as { query?: string } | undefined)?.query).toBe('prometheus');
      expect(vars.get('job')?.type).toBe('query');
      expect(vars.get('instance')?.type).toBe('query');
      const text = JSON.stringify(d);
      for (const m of text.matchAll(/\$\{?([A-Za-z_]\w*)/g)) {
        const name = m[1] ?? '';
        if (name.startsWith('__')) continue; // Grafana's built-ins: $__rate_interval, ${__field.labels.x}, ...
        expect(vars.has(name), `$${name} is not a variable`).toBe(true);
      }
    });

    it('every panel and query uses the $datasource variable', () => {
      for (const p of dataPanels(d)) {
        expect(p.datasource?.uid, p.title).toBe('${datasource}');
        for (const t of p.targets ?? []) expect(t.datasource?.uid, `${p.title}/${t.refId}`).toBe('${datasource}');
      }
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        expect((v as { datasource?: { uid?: string } }).datasource?.uid, v.name).toBe('${datasource}');
      }
    });

    it('every panel has a unit, a unique id, a position and at least one query', () => {
      const ids = allPanels(d).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of dataPanels(d)) {
        expect(p.fieldConfig?.defaults?.unit, `${p.title} has no unit`).toMatch(/\S/);
        expect(p.gridPos, p.title).toBeDefined();
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets ?? []) expect(t.expr, `${p.title}/${t.refId}`).toMatch(/\S/);
      }
    });

    it('every rate() and increase() uses $__rate_interval', () => {
      let calls = 0;
      for (const { where, expr } of queries(d)) {
        for (const c of counterFunctionRanges(expr)) {
          calls++;
          expect(c.ranges, `${c.fn}() in ${where}`).toEqual(['$__rate_interval']);
        }
      }
      // Both dashboards show counters somewhere; zero calls would mean the scanner is broken.
      if (d.uid === 'oom-overview') expect(calls).toBeGreaterThan(0);
    });

    it('queries only metrics of the contract', () => {
      for (const { where, expr } of queries(d)) {
        const names = metricNames(expr);
        expect(names.length, where).toBeGreaterThan(0);
        for (const n of names) expect(CONTRACT_METRICS.has(n), `${n} in ${where}`).toBe(true);
      }
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
        const inner = /label_values\((.*),\s*\w+\)$/.exec(q)?.[1] ?? '';
        for (const n of metricNames(inner)) expect(CONTRACT_METRICS.has(n), `${n} in $${v.name}`).toBe(true);
      }
    });
  });

  it('the overview has the panels the issue asks for', () => {
    const d = dashboards.find((x) => x.d.uid === 'oom-overview')?.d;
    expect(d).toBeDefined();
    if (!d) return;
    const all = queries(d).map((q) => q.expr).join('\n');
    for (const metric of [
      'oom_memory_available_bytes',
      'oom_swap_used_bytes',
      'oom_memory_pressure_waiting_seconds_total',
      'oom_kills_total',
      'oom_kill_events_total',
      'oom_cgroup_info',
      'oom_process_score',
      'oom_process_resident_memory_bytes',
      'oom_process_swap_bytes',
      'oom_cgroup_memory_limit_bytes',
      'oom_kernel_log_up',
      'oom_kernel_log_records_lost_total',
    ]) expect(all).toContain(metric);
    // One annotation per kill, with victim and cgroup in its text.
    const ann = d.annotations.list.find((a) => a.expr?.includes('oom_kill_last_timestamp_seconds')) as { textFormat?: string } | undefined;
    expect(ann?.textFormat).toContain('{{comm}}');
    expect(ann?.textFormat).toContain('{{cgroup}}');
    // The latest-kills table joins the kill with the cgroup's owner.
    const table = dataPanels(d).find((p) => p.type === 'table');
    // The owner of each kill's cgroup, and on a Kubernetes node its namespace, pod and container.
    expect(table?.targets?.[0]?.expr).toMatch(/group_left \(namespace, pod, container, container_id, pod_uid, systemd_unit, runtime\)\s*oom_cgroup_info/);
  });

  it('the process dashboard picks instance, comm and pid and shows the cgroup limit and time to it', () => {
    const d = dashboards.find((x) => x.d.uid === 'oom-process')?.d;
    expect(d).toBeDefined();
    if (!d) return;
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance', 'comm', 'pid']);
    const all = queries(d).map((q) => q.expr).join('\n');
    for (const metric of ['oom_process_resident_memory_bytes', 'oom_process_swap_bytes', 'oom_process_score', 'oom_process_score_adj', 'oom_cgroup_memory_usage_bytes', 'oom_cgroup_memory_limit_bytes', 'oom_memory_available_bytes']) {
      expect(all).toContain(metric);
    }
    expect(all).toMatch(/deriv\(oom_process_resident_memory_bytes/);
    expect(all).toContain('pid="$pid"');
  });
});

describe('dashboards on the right numbers (issue 12)', () => {
  const overview = dashboards.find((x) => x.d.uid === 'oom-overview')?.d;
  const process = dashboards.find((x) => x.d.uid === 'oom-process')?.d;
  const panel = (d: Dashboard | undefined, title: string): Panel => {
    const p = d ? dataPanels(d).find((x) => x.title === title) : undefined;
    if (!p) throw new Error(`no panel "${title}"`);
    return p;
  };

  it('"Cgroups nearest their memory limit" ranks by working set over limit, not usage', () => {
    const p = panel(overview, 'Cgroups nearest their memory limit');
    const expr = p.targets?.[0]?.expr ?? '';
    expect(metricNames(expr).sort()).toEqual(['oom_cgroup_memory_limit_bytes', 'oom_cgroup_memory_working_set_bytes']);
    expect(expr).toMatch(/oom_cgroup_memory_working_set_bytes\{[^}]*\} \/ oom_cgroup_memory_limit_bytes/);
    expect(p.description).toContain('page cache');
  });

  it("the process's cgroup panel stacks anon, page cache without shmem, shmem and kernel under the limit, usage and working set", () => {
    const p = panel(process, "Its cgroup's memory: usage and limit");
    const targets = p.targets ?? [];
    const byMetrics = (names: string[]): Target | undefined => targets.find((t) => metricNames(t.expr).sort().join() === [...names, 'oom_process_resident_memory_bytes'].sort().join());
    const parts = [
      byMetrics(['oom_cgroup_memory_anon_bytes']),
      byMetrics(['oom_cgroup_memory_file_bytes', 'oom_cgroup_memory_shmem_bytes']),
      byMetrics(['oom_cgroup_memory_shmem_bytes']),
      byMetrics(['oom_cgroup_memory_kernel_bytes']),
    ];
    const lines = [byMetrics(['oom_cgroup_memory_limit_bytes']), byMetrics(['oom_cgroup_memory_usage_bytes']), byMetrics(['oom_cgroup_memory_working_set_bytes'])];
    for (const t of [...parts, ...lines]) expect(t, JSON.stringify(targets.map((x) => x.expr))).toBeDefined();
    // Page cache other than shmem: file minus shmem (file includes shmem), of the process's own cgroup.
    expect(parts[1]?.expr).toMatch(/\(oom_cgroup_memory_file_bytes\{[^}]*\} - oom_cgroup_memory_shmem_bytes\{[^}]*\}\) and on \(job, instance, cgroup\)/);
    for (const t of targets) expect(t.expr).toContain('pid="$pid"');
    // The parts stack; the lines do not.
    expect(p.fieldConfig?.defaults?.custom?.stacking?.mode).toBe('normal');
    const unstacked = new Set(
      (p.fieldConfig?.overrides ?? [])
        .filter((o) => o.matcher.id === 'byFrameRefID' && o.properties.some((x) => x.id === 'custom.stacking' && (x.value as { mode?: string }).mode === 'none'))
        .map((o) => o.matcher.options),
    );
    expect([...unstacked].sort()).toEqual(lines.map((t) => t?.refId ?? '').sort());
    expect(p.description).toMatch(/Page cache near the limit is not a problem/);
    expect(p.description).toContain('shmem');
  });

  it("the time until it runs out counts the cgroup's working set against the limit", () => {
    const expr = panel(process, 'Time until it runs out at its recent growth').targets?.find((t) => t.refId === 'A')?.expr ?? '';
    expect(expr).toMatch(/oom_cgroup_memory_limit_bytes\{[^}]*\}\s*- oom_cgroup_memory_working_set_bytes/);
  });

  it('the oom_score panels explain the scale: 0-2000 since Linux 5.9 with 666 for an idle process, 1000 × share + adj before', () => {
    for (const p of [panel(overview, 'Top processes by OOM score'), panel(process, 'OOM score')]) {
      expect(p.description, p.title).toContain('666');
      expect(p.description, p.title).toMatch(/5\.9/);
      expect(p.description, p.title).toMatch(/0 to 2000/);
      expect(p.description, p.title).toMatch(/Before 5.9 it is 1000 × share \+ oom_score_adj/);
    }
    // The bar gauge's scale ends at 2000, so 666 is not drawn two-thirds of the way to red.
    expect(panel(overview, 'Top processes by OOM score').fieldConfig?.defaults?.max).toBe(2000);
  });
});

describe('Grafana provisioning', () => {
  it('provisions the Prometheus of the compose stack with a fixed uid', () => {
    const ds = readYaml<{ datasources: { type: string; url: string; uid: string; jsonData?: { timeInterval?: string } }[] }>('dashboards/provisioning/datasources/prometheus.yml');
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', uid: 'prometheus' });
    // $__rate_interval is computed from this: it must be the scrape interval of prometheus.yml.
    const prom = readYaml<{ global: { scrape_interval: string } }>('deploy/prometheus/prometheus.yml');
    expect(ds.datasources[0]?.jsonData?.timeInterval).toBe(prom.global.scrape_interval);
  });

  it('loads the dashboards from where docker-compose mounts them', () => {
    const prov = readYaml<{ providers: { type: string; options: { path: string } }[] }>('dashboards/provisioning/dashboards/oom-exporter.yml');
    const compose = readYaml<{ services: Record<string, { volumes?: string[] }> }>('docker-compose.yml');
    const mounts = compose.services.grafana?.volumes ?? [];
    expect(mounts).toContain(`./dashboards:${prov.providers[0]?.options.path}:ro`);
    expect(mounts).toContain('./dashboards/provisioning:/etc/grafana/provisioning:ro');
  });
});

const havePromtool = tool('promtool');
describe.skipIf(!havePromtool)('dashboard PromQL (skipped only outside CI when promtool is not installed)', () => {
  it('every query parses (checked by promtool as recording rules, variables filled in)', () => {
    const fill = (expr: string): string =>
      expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$job', 'oom-exporter')
        .replaceAll('$instance', 'node-1:19857')
        .replaceAll('$comm', 'oom (test) 1')
        .replaceAll('$pid', '1234');
    const rules = dashboards.flatMap(({ d }) => queries(d).map((q, i) => ({ record: `dashboard_query_${d.uid.replace(/\W/g, '_')}_${i}`, expr: fill(q.expr) })));
    const dir = mkdtempSync(join(tmpdir(), 'oom-dash-'));
    const file = join(dir, 'queries.rules.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
    const r = run('promtool', ['check', 'rules', file]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(`${rules.length} rules found`);
  });
});
