import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CONTRACT_METRICS, metricNames } from './contract.js';
import { readRepo, readYaml, run, tool } from './tools.js';

const RULES = 'deploy/prometheus/rules/oom-exporter.rules.yml';
const RULES_TEST = 'deploy/prometheus/rules/oom-exporter.rules.test.yml';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = readYaml<{ groups: { name: string; rules: Rule[] }[] }>(RULES).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r): r is Rule & { alert: string } => r.alert !== undefined);

const REQUIRED_ALERTS = [
  'OOMKillDetected',
  'OOMKillsMissingFromKernelLog',
  'CgroupMemoryNearLimit',
  'ProcessMemoryWillHitLimit',
  'HostMemoryAvailableLow',
  'HostSwapFillingUp',
  'HostMemoryPressureHigh',
  'OOMExporterKernelLogDown',
  'OOMExporterKernelLogLosingRecords',
  'OOMExporterDown',
];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function githubAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
}

describe('alert rules', () => {
  it('has every alert the issue asks for, once', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([...REQUIRED_ALERTS].sort());
  });

  it.each(REQUIRED_ALERTS)('%s has a severity, a summary, a description and a runbook in docs/alerts.md', (name) => {
    const anchors = new Set(
      readRepo('docs/alerts.md')
        .split('\n')
        .filter((l) => /^#{1,6} /.test(l))
        .map((l) => githubAnchor(l.replace(/^#+ /, ''))),
    );
    const a = alerts.find((r) => r.alert === name);
    expect(a?.labels?.severity).toMatch(/^(warning|critical)$/);
    expect(a?.annotations?.summary).toBeTruthy();
    expect(a?.annotations?.description).toBeTruthy();
    const url = a?.annotations?.runbook_url ?? '';
    expect(url).toMatch(/\/docs\/alerts\.md#[a-z0-9-]+$/);
    expect(anchors).toContain(url.split('#')[1]);
  });

  it('OOMKillDetected names victim, cgroup, instance and constraint, and fires without waiting', () => {
    const a = alerts.find((r) => r.alert === 'OOMKillDetected');
    // No `for`: a kill is news at once, and the end-to-end test relies on it firing at the next evaluation.
    expect(a?.for).toBeUndefined();
    for (const text of [a?.annotations?.summary ?? '', a?.annotations?.description ?? '']) {
      expect(text).toContain('$labels.comm');
      expect(text).toContain('$labels.cgroup');
      expect(text).toContain('$labels.instance');
    }
    expect(a?.annotations?.description).toContain('$labels.constraint');
  });

  it('uses only contract metrics, up, and its own recorded series', () => {
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    for (const r of rules) {
      const names = metricNames(r.expr);
      expect(names.length, r.expr).toBeGreaterThan(0);
      for (const n of names) expect(CONTRACT_METRICS.has(n) || n === 'up' || recorded.has(n), `${n} in ${r.alert ?? r.record}`).toBe(true);
    }
  });

  it('watches the job that prometheus.yml scrapes', () => {
    const prom = readYaml<{ scrape_configs: { job_name: string }[] }>('deploy/prometheus/prometheus.yml');
    const down = alerts.find((r) => r.alert === 'OOMExporterDown');
    const job = /up\{job="([^"]+)"\}/.exec(down?.expr ?? '')?.[1];
    expect(job).toBeDefined();
    expect(prom.scrape_configs.map((s) => s.job_name)).toContain(job);
  });
});

const havePromtool = tool('promtool');
describe.skipIf(!havePromtool)('promtool (skipped only outside CI when promtool is not installed)', () => {
  it('promtool check rules accepts the rules file', () => {
    const r = run('promtool', ['check', 'rules', RULES]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('promtool test rules: every alert fires and stays quiet, across restarts and a vanished target', () => {
    const r = run('promtool', ['test', 'rules', RULES_TEST]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
    // Each alert has a case where it fires (a non-empty exp_alerts) and one where it must not.
    const tests = readYaml<{ tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }>(RULES_TEST).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of REQUIRED_ALERTS) {
      expect(cases.some((c) => c.alertname === name && c.exp_alerts.length > 0), `${name} fires somewhere`).toBe(true);
      expect(cases.some((c) => c.alertname === name && c.exp_alerts.length === 0), `${name} stays quiet somewhere`).toBe(true);
    }
    const raw = readRepo(RULES_TEST);
    expect(raw).toMatch(/values: '[^']*stale[^']*'/);
  });

  // Each mutation is a rule gone wrong in a way the unit tests must catch: the same tests against a rules
  // file with that one rule changed must fail, naming the rule.
  // `rule` names the rule changed when it is not the alert itself (a recording rule the alert reads).
  const MUTATIONS: { alert: string; rule?: string; what: string; from: RegExp | string; to: string }[] = [
    {
      alert: 'OOMKillDetected',
      rule: 'oom_kill_events:victims10m',
      what: 'never fires',
      from: 'oom_kill_events:increase10m) > 0',
      to: 'oom_kill_events:increase10m) > 1e9',
    },
    // Kubernetes names: the pod must be named where oom_cgroup_info knows it, and a kill must still fire where it does not.
    { alert: 'OOMKillDetected', what: 'drops the namespace, pod and container', from: 'group_left (namespace, pod, container)', to: 'group_left ()' },
    { alert: 'OOMKillDetected', what: 'fires only for kills whose cgroup has info', from: /\s+or on \(instance, job, comm, cgroup\)\s+oom_kill_events:victims10m\s*$/, to: '\n' },
    // The page-cache cases: a rule on usage fires for a cgroup full of page cache the kernel would drop.
    { alert: 'CgroupMemoryNearLimit', what: 'watches usage instead of the working set', from: 'oom_cgroup_memory_working_set_bytes', to: 'oom_cgroup_memory_usage_bytes' },
    { alert: 'ProcessMemoryWillHitLimit', what: 'adds the growth to usage instead of the working set', from: 'oom_cgroup_memory_working_set_bytes', to: 'oom_cgroup_memory_usage_bytes' },
    // The anonymous case: the old rule (the process's own RSS an hour ahead against the limit) ignores
    // what the rest of the cgroup holds, and stays quiet while anonymous memory fills it.
    {
      alert: 'ProcessMemoryWillHitLimit',
      what: "compares the process's predicted RSS alone with the limit",
      from: /\+ ignoring \(pid, comm\) group_left \(\)\s+oom_cgroup_memory_working_set_bytes/,
      to: '+ oom_process_resident_memory_bytes',
    },
  ];
  it.each(MUTATIONS)('promtool test rules fails when $alert $what (the unit tests can fail)', ({ alert, rule: ruleName, from, to }) => {
    const doc = readYaml<{ groups: { rules: Rule[] }[] }>(RULES);
    const rule = doc.groups.flatMap((g) => g.rules).find((r) => (ruleName === undefined ? r.alert === alert : r.record === ruleName));
    if (!rule) throw new Error(`no rule ${ruleName ?? alert}`);
    const expr = rule.expr.replace(from, to);
    expect(expr, 'the mutation changes the rule').not.toBe(rule.expr);
    rule.expr = expr;
    const dir = mkdtempSync(join(tmpdir(), 'oom-rules-'));
    let r: ReturnType<typeof run>;
    try {
      writeFileSync(join(dir, 'oom-exporter.rules.yml'), stringify(doc));
      writeFileSync(join(dir, 'oom-exporter.rules.test.yml'), readRepo(RULES_TEST));
      r = run('promtool', ['test', 'rules', join(dir, 'oom-exporter.rules.test.yml')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(r.status, r.output).not.toBe(0);
    expect(r.output).toContain(`alertname: ${alert}`);
  });

  it('promtool check config accepts prometheus.yml and the rules it loads by relative path', () => {
    const r = run('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml']);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('1 rule files found');
  });
});

const haveAmtool = tool('amtool');
describe.skipIf(!haveAmtool)('amtool (skipped only outside CI when amtool is not installed)', () => {
  it('amtool check-config accepts alertmanager.yml', () => {
    const r = run('amtool', ['check-config', 'deploy/alertmanager/alertmanager.yml']);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  it('the commented email and Slack receivers are valid once uncommented', () => {
    const text = readRepo('deploy/alertmanager/alertmanager.yml');
    const [head, tail] = text.split('\nreceivers:\n');
    expect(tail).toBeDefined();
    const uncommented = (tail ?? '')
      .split('\n')
      .map((l) => (l.startsWith('  # - name:') || l.startsWith('  #   ') ? l.replace('  # ', '  ') : l))
      .join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'oom-am-'));
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, `${head}\nreceivers:\n${uncommented}`);
    const r = run('amtool', ['check-config', file]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('3 receivers');
  });
});
