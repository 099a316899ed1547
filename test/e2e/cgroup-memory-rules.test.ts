/**
 * The memory alerts on real workloads: the shipped rules file, evaluated by a real Prometheus that scrapes
 * the real exporter, against real cgroup v1 memory cgroups on this machine (issue 12).
 * - Page cache near a cgroup's limit is not CgroupMemoryNearLimit; anonymous memory near the same limit is.
 * - A process leaking anonymous memory into its cgroup's limit fires ProcessMemoryWillHitLimit before the
 *   kernel OOM-kills it. The rule's windows are shortened by substitutions on the shipped file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startExporter, type RunningExporter } from '../helpers/cli.js';
import { find, parseMetrics } from '../helpers/metrics.js';
import { makeMemoryCgroup, PYTHON, type MemoryCgroup } from '../helpers/oom.js';
import {
  commandRuns,
  freePort,
  SHIPPED_RULES,
  shippedPrometheusConfig,
  sleep,
  startPrometheus,
  substitute,
  until,
  type RunningPrometheus,
} from '../helpers/prometheus.js';
import { requireTool } from '../helpers/promtool.js';
import { requireRoot } from '../helpers/root.js';

// Short, so that the leak's growth shows in a few samples; the exporter only exports this test's
// processes (--process.include), so a scrape stays far below it even on a busy machine.
const SCRAPE = '2s';
const MiB = 1 << 20;

/** The test needs root (cgroups, /dev/kmsg), Prometheus and a v1 memory hierarchy; CI has all. */
function canRun(): boolean {
  const root = requireRoot();
  const prom = requireTool(commandRuns('prometheus'), 'prometheus');
  const memcg = requireTool(existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes'), 'a cgroup v1 memory hierarchy at /sys/fs/cgroup/memory');
  return root && prom && memcg;
}

// Every workload joins its cgroup first, so what it allocates from then on is charged there, and names
// itself (prctl PR_SET_NAME) so the exporter's --process.include picks it and nothing else.
const PROLOGUE = `
import ctypes, os, sys, time
with open(sys.argv[1] + '/cgroup.procs', 'w') as f:
    f.write(str(os.getpid()))
ctypes.CDLL(None).prctl(15, sys.argv[2].encode(), 0, 0, 0)
`;
/**
 * Reads the first 512 MiB of the file argv[3] (reclaim keeps its cgroup at the limit on the way), then
 * sits on what that left in the page cache. Reclaim frees in batches, so the last one can leave usage a few
 * MiB under the limit (seen: 95% to 99.6%): it reads on, as a service that keeps reading would, until
 * usage is within 2 MiB of the limit.
 */
const READ_FILE = `${PROLOGUE}
def cgroup(name):
    with open(sys.argv[1] + '/' + name) as f:
        return int(f.read())
fd = os.open(sys.argv[3], os.O_RDONLY)
while os.lseek(fd, 0, os.SEEK_CUR) < 512 << 20 and os.read(fd, 1 << 20):
    pass
while cgroup('memory.usage_in_bytes') < cgroup('memory.limit_in_bytes') - (2 << 20) and os.read(fd, 1 << 20):
    pass
print('ready', flush=True)
time.sleep(3600)
`;
/** Holds argv[3] MiB of anonymous memory, every page written. */
const HOLD_ANON = `${PROLOGUE}
x = b'\\x01' * (int(sys.argv[3]) << 20)
print('ready', flush=True)
time.sleep(3600)
`;
/** Waits for a line on stdin, then leaks argv[3] MiB of anonymous memory (pages written) every argv[4] seconds. */
const LEAK = `${PROLOGUE}
print('ready', flush=True)
sys.stdin.readline()
leaked = []
while True:
    leaked.append(b'\\x01' * (int(sys.argv[3]) << 20))
    time.sleep(float(sys.argv[4]))
`;

interface Workload {
  child: ChildProcess;
  pid: number;
  /** Resolves once the script printed "ready". */
  ready: Promise<void>;
}

function startWorkload(script: string, args: string[]): Workload {
  const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('ready\n')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`workload ${args[1]} exited (${code ?? signal}) before it was ready: ${stderr}`)));
  });
  if (child.pid === undefined) throw new Error(`could not start ${PYTHON}`);
  return { child, pid: child.pid, ready };
}

async function stopWorkload(w: Workload | undefined): Promise<void> {
  if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
  const gone = once(w.child, 'exit');
  w.child.kill('SIGKILL');
  await gone;
}

/** The `expr` of an alert in the shipped rules file, as Prometheus evaluates it. */
function shippedExpr(alert: string): string {
  const doc = parse(readFileSync(SHIPPED_RULES, 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] };
  const rule = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
  if (!rule) throw new Error(`no alert ${alert} in ${SHIPPED_RULES}`);
  return rule.expr;
}

describe.runIf(canRun())('the memory alerts against real cgroups, the real exporter and a real Prometheus', () => {
  // Names at most 15 bytes (the kernel's comm), unique to this run: other tests make cgroups and kill here too.
  const tag = randomBytes(3).toString('hex');
  const NAME = { cache: `oomr-${tag}-pc`, anon: `oomr-${tag}-an`, leak: `oomr-${tag}-lk` };
  let dir = '';
  let exporter: RunningExporter | undefined;
  let prometheus: RunningPrometheus | undefined;
  const workloads: Workload[] = [];
  const cgroups: MemoryCgroup[] = [];

  const api = (): RunningPrometheus['api'] => {
    if (!prometheus) throw new Error('no prometheus');
    return prometheus.api;
  };
  /** The one value of an instant query, or undefined. */
  const value = async (expr: string): Promise<number | undefined> => {
    const r = await api().query(expr);
    if (r.length > 1) throw new Error(`${r.length} series for ${expr}`);
    const v = r[0]?.value?.[1];
    return v === undefined ? undefined : Number(v);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-memrules-'));
    // The shipped rules with ProcessMemoryWillHitLimit's windows shortened: growth over 20 s predicted a
    // minute ahead instead of 30 minutes an hour ahead, pending for 5 s instead of 15 minutes.
    let rules = readFileSync(SHIPPED_RULES, 'utf8');
    rules = substitute(rules, 'predict_linear(oom_process_resident_memory_bytes[30m], 3600)', 'predict_linear(oom_process_resident_memory_bytes[20s], 60)', 2);
    rules = substitute(rules, 'for: 15m', 'for: 5s');
    const rulesFile = join(dir, 'oom-exporter.rules.yml');
    writeFileSync(rulesFile, rules);

    exporter = await startExporter(['--kernel-log.source=kmsg', `--process.include=oomr-${tag}-.*`]);
    // Nothing listens there: notifications fail, which this test does not look at.
    const alertmanager = `127.0.0.1:${await freePort()}`;
    prometheus = await startPrometheus(
      dir,
      shippedPrometheusConfig({ exporterPort: exporter.port, alertmanager, scrapeInterval: SCRAPE, evaluationInterval: '1s', rulesFile }),
    );
  }, 120_000);

  afterAll(async () => {
    for (const w of workloads) await stopWorkload(w);
    for (const c of cgroups) await c.remove();
    await prometheus?.stop();
    await exporter?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('page cache near a 128 MiB limit is not CgroupMemoryNearLimit; anonymous memory near it is', async () => {
    const limit = 128 * MiB;
    const cacheCg = makeMemoryCgroup('oomr-cache', limit);
    const anonCg = makeMemoryCgroup('oomr-anon', limit);
    cgroups.push(cacheCg, anonCg);
    // Sparse: no page of it is cached until the reader reads it, so the whole cache is charged to the
    // reader's cgroup; a read of a hole fills the page cache with zeroed pages like any other read
    // (ext4, xfs), without writing the file to the disk of a shared machine first. 1 GiB: room to read
    // on after the first 512 MiB.
    const file = join(dir, 'big.file');
    writeFileSync(file, '');
    truncateSync(file, 1024 * MiB);
    const reader = startWorkload(READ_FILE, [cacheCg.dir, NAME.cache, file]);
    // 120 MiB of heap: the interpreter's own memory was charged before it joined, so this is nearly all.
    const holder = startWorkload(HOLD_ANON, [anonCg.dir, NAME.anon, '120']);
    workloads.push(reader, holder);
    await Promise.all([reader.ready, holder.ready]);
    const readyAt = Date.now() / 1000;

    // A scrape of both cgroups taken after the workloads were ready.
    const both = `cgroup=~"${cacheCg.path}|${anonCg.path}"`;
    await until('a scrape of both cgroups after their workloads were ready', 60_000, async () => {
      const r = await api().query(`timestamp(oom_cgroup_memory_working_set_bytes{${both}}) > ${readyAt}`);
      return r.length === 2 ? true : undefined;
    });

    const of = (metric: string, cg: MemoryCgroup): Promise<number | undefined> => value(`${metric}{cgroup="${cg.path}"}`);
    const cache = {
      usage: await of('oom_cgroup_memory_usage_bytes', cacheCg),
      workingSet: await of('oom_cgroup_memory_working_set_bytes', cacheCg),
      inactiveFile: await of('oom_cgroup_memory_inactive_file_bytes', cacheCg),
      anon: await of('oom_cgroup_memory_anon_bytes', cacheCg),
      limit: await of('oom_cgroup_memory_limit_bytes', cacheCg),
    };
    const anon = { usage: await of('oom_cgroup_memory_usage_bytes', anonCg), workingSet: await of('oom_cgroup_memory_working_set_bytes', anonCg) };
    const mib = (b: number | undefined): string => (b === undefined ? '-' : `${(b / MiB).toFixed(1)} MiB`);
    console.log(
      `page-cache cgroup ${cacheCg.path}: usage ${mib(cache.usage)} (${(((cache.usage ?? 0) / limit) * 100).toFixed(1)}% of ${mib(cache.limit)}), ` +
        `working set ${mib(cache.workingSet)} (${(((cache.workingSet ?? 0) / limit) * 100).toFixed(1)}%), inactive file ${mib(cache.inactiveFile)}, anon ${mib(cache.anon)}; ` +
        `anonymous cgroup ${anonCg.path}: usage ${mib(anon.usage)}, working set ${mib(anon.workingSet)} (${(((anon.workingSet ?? 0) / limit) * 100).toFixed(1)}%)`,
    );
    expect(cache.limit).toBe(limit);
    // Usage says "nearly full" ...
    expect(cache.usage).toBeGreaterThanOrEqual(0.9 * limit);
    // ... but nearly all of it is inactive page cache: the working set is well under the limit.
    expect(cache.workingSet).toBeLessThan(0.5 * limit);

    // The shipped CgroupMemoryNearLimit expression: the anonymous cgroup, not the page-cache one.
    const expr = shippedExpr('CgroupMemoryNearLimit');
    const near = await api().query(expr);
    const ours = near.map((s) => s.metric.cgroup).filter((c) => c === cacheCg.path || c === anonCg.path);
    expect(ours, `${expr} returned ${JSON.stringify(near)}`).toEqual([anonCg.path]);

    await stopWorkload(reader);
    await stopWorkload(holder);
    await cacheCg.remove();
    await anonCg.remove();
    rmSync(file);
  }, 180_000);

  it('a process leaking anonymous memory fires ProcessMemoryWillHitLimit before the kernel OOM-kills it', async () => {
    const cg = makeMemoryCgroup('oomr-leak', 256 * MiB);
    cgroups.push(cg);
    // 2 MiB every 250 ms: 8 MiB/s, about half a minute from start to the limit.
    const leak = startWorkload(LEAK, [cg.dir, NAME.leak, '2', '0.25']);
    workloads.push(leak);
    await leak.ready;
    const pid = String(leak.pid);
    const alertOfLeak = async (): Promise<{ state: string } | undefined> =>
      (await api().alerts()).find((a) => a.labels.alertname === 'ProcessMemoryWillHitLimit' && a.labels.pid === pid && a.labels.cgroup === cg.path);

    // Prometheus has the process, flat, and its cgroup's working set and limit before the leak starts.
    await until('two scrapes of the process and its cgroup', 60_000, async () => {
      const samples = await value(`count_over_time(oom_process_resident_memory_bytes{pid="${pid}",cgroup="${cg.path}"}[1m])`);
      const ws = await value(`oom_cgroup_memory_working_set_bytes{cgroup="${cg.path}"}`);
      const limit = await value(`oom_cgroup_memory_limit_bytes{cgroup="${cg.path}"}`);
      return (samples ?? 0) >= 2 && ws !== undefined && limit === 256 * MiB ? true : undefined;
    });
    // Flat, it is no alert.
    expect(await alertOfLeak()).toBeUndefined();

    let exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
    leak.child.once('exit', (code, signal) => (exit = { code, signal, at: Date.now() }));
    const startedAt = Date.now();
    leak.child.stdin?.write('go\n');

    // Polls the alert until it fires or the process is dead, whichever comes first.
    let seenFiringAt: number | undefined;
    let lastState = 'inactive';
    while (exit === undefined && Date.now() - startedAt < 300_000) {
      const a = await alertOfLeak().catch(() => undefined);
      if (a?.state === 'firing') {
        seenFiringAt = Date.now();
        break;
      }
      lastState = a?.state ?? 'inactive';
      await sleep(200);
    }
    expect(seenFiringAt, `ProcessMemoryWillHitLimit was ${lastState} when the process ${exit ? 'died' : 'was still alive after 5 minutes'}`).toBeDefined();

    // Then the kernel kills it at its cgroup's limit.
    await until('the kernel to OOM-kill the leaking process', 300_000, async () => exit);
    expect(exit?.signal, 'the leaking process was OOM-killed').toBe('SIGKILL');
    expect(readFileSync(`${cg.dir}/memory.oom_control`, 'utf8')).toMatch(/^oom_kill [1-9]/m);

    // When each happened, by the clocks that decided it: the evaluation at which the alert first fired
    // (the first firing sample of ALERTS) and the kill's time in the kernel log, as the exporter read it.
    const killAt = await until('the kill in the exporter', 60_000, async () => {
      const text = await (await fetch(`${exporter?.url ?? ''}/metrics`)).text();
      return find(parseMetrics(text), 'oom_kill_last_timestamp_seconds', { comm: NAME.leak })[0]?.value;
    });
    const alerts = await api().query(`ALERTS{alertname="ProcessMemoryWillHitLimit",alertstate="firing",pid="${pid}"}[10m]`);
    const firedAt = alerts[0]?.values?.[0]?.[0];
    if (firedAt === undefined) throw new Error(`no firing ALERTS sample for pid ${pid}: ${JSON.stringify(alerts)}`);
    console.log(
      `ProcessMemoryWillHitLimit fired ${(killAt - firedAt).toFixed(1)} s before the OOM kill of "${NAME.leak}" (pid ${pid}, 256 MiB cgroup, leaking 8 MiB/s): ` +
        `first firing evaluation ${new Date(firedAt * 1000).toISOString()}, ${(firedAt - startedAt / 1000).toFixed(1)} s after the leak began; ` +
        `kernel's kill ${new Date(killAt * 1000).toISOString()}; seen firing through the API ${(((exit?.at ?? 0) - (seenFiringAt ?? 0)) / 1000).toFixed(1)} s before the process's exit`,
    );
    expect(firedAt).toBeLessThan(killAt);
  }, 420_000);
});
