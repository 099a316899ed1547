import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startExporter, type RunningExporter } from '../helpers/cli.js';
import { one, parseMetrics, type Sample } from '../helpers/metrics.js';
import { makeMemoryCgroup, realOomKill, realOomKillWithReport, vmstatOomKills } from '../helpers/oom.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { requireRoot } from '../helpers/root.js';
import { ensureJournald } from '../kernellog/journald-helper.js';

const COMM = 'oom (test) 1';

async function scrape(exp: RunningExporter): Promise<Sample[]> {
  return parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
}

/** Scrapes until `ok` holds (sources that push, like journald, deliver a moment after the kernel). */
async function scrapeUntil(exp: RunningExporter, ok: (s: Sample[]) => boolean, attempts = 100): Promise<Sample[]> {
  let s = await scrape(exp);
  for (let i = 0; i < attempts && !ok(s); i++) {
    await new Promise((r) => setTimeout(r, 100));
    s = await scrape(exp);
  }
  return s;
}

/**
 * The whole path, for one source: the exporter is running, the kernel kills a process in a 64 MiB
 * memory cgroup, and the next scrape names the victim, its cgroup and the constraint.
 */
async function killAndCheck(exp: RunningExporter, opts: { pollUntilSeen: boolean }): Promise<void> {
  const before = await scrape(exp);
  const kernelBefore = one(before, 'oom_kills_total') ?? vmstatOomKills();
  const cg = makeMemoryCgroup('oome2e');
  try {
    // A second old when it dies: the exporter has seen it, so it is named with its cgroup even when the
    // kernel's rate limit (other tests kill too) leaves the report out.
    const kill = await realOomKill(COMM, cg, 1);
    const labels = { killer: 'kernel', comm: COMM, constraint: 'memcg', cgroup: cg.path };
    const seen = (s: Sample[]): boolean => one(s, 'oom_kill_events_total', labels) === 1;
    const after = opts.pollUntilSeen ? await scrapeUntil(exp, seen) : await scrape(exp);
    expect(one(after, 'oom_kill_events_total', labels)).toBe(1);
    // The hand-written kill families, with a real victim's name in them, are valid exposition.
    const text = await (await fetch(`${exp.url}/metrics`, { headers: { 'accept-encoding': 'identity' } })).text();
    const own = text
      .split('\n')
      .filter((l) => !/^(# (HELP|TYPE) )?(nodejs_|process_)/.test(l))
      .join('\n');
    const lint = promtoolCheckMetrics(own);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
    expect(one(after, 'oom_kill_last_timestamp_seconds', labels)).toBeGreaterThan(Date.now() / 1000 - 120);
    // The kernel's host-wide count moved by our kill at least: other tests on this host OOM-kill too.
    expect(one(after, 'oom_kills_total')).toBeGreaterThanOrEqual(kernelBefore + 1);
    // The cgroup named in the kill is read too: the kernel's own count for it, and its limit.
    expect(one(after, 'oom_cgroup_oom_kills_total', { cgroup: cg.path })).toBe(1);
    expect(one(after, 'oom_cgroup_memory_limit_bytes', { cgroup: cg.path })).toBe(64 << 20);
    expect(kill.pid).toBeGreaterThan(0);
  } finally {
    await cg.remove();
  }
}

// Root makes the cgroups and reads /dev/kmsg; CI runs as root, so there this never skips.
describe.runIf(requireRoot())('a real OOM kill, end to end', () => {
  describe('through /dev/kmsg', () => {
    let exp: RunningExporter;
    beforeAll(async () => {
      exp = await startExporter(['--kernel-log.source=kmsg']);
    });
    afterAll(async () => {
      await exp?.stop();
    });

    it('is counted at the very next scrape, with comm, memcg constraint and cgroup', async () => {
      await killAndCheck(exp, { pollUntilSeen: false });
    });

    it('is listed by `kills --json` with its memcg and invoker', async () => {
      // `kills` reads the log alone: the kernel's whole report must be there.
      const kill = await realOomKillWithReport(COMM, 'oomkills');
      const cg = kill.cgroup;
      try {
        const r = await runCli(['kills', '--json']);
        expect(r.code).toBe(0);
        const rows = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const row = rows.find((k) => k.pid === kill.pid);
        expect(row).toMatchObject({ killer: 'kernel', comm: COMM, memcg: cg.path, oomMemcg: cg.path, invoker: COMM, constraint: 'CONSTRAINT_MEMCG', uid: 0 });
        expect(row?.anonRssBytes).toBeGreaterThan(32 << 20);
        const table = await runCli(['kills']);
        expect(table.stdout).toContain(cg.path);
      } finally {
        await cg.remove();
      }
    });
  });

  describe('through journald', () => {
    let exp: RunningExporter;
    let stopJournald: () => Promise<void> = async () => {};
    beforeAll(async () => {
      stopJournald = await ensureJournald();
      exp = await startExporter(['--kernel-log.source=journald']);
      await scrapeUntil(exp, (s) => one(s, 'oom_kernel_log_up', { source: 'journald' }) === 1);
    });
    afterAll(async () => {
      await exp?.stop();
      await stopJournald();
    });

    it('is counted with comm, memcg constraint and cgroup', async () => {
      await killAndCheck(exp, { pollUntilSeen: true });
    });
  });

  describe('through a syslog file written by rsyslog', () => {
    let exp: RunningExporter;
    let rsyslog: ChildProcess | undefined;
    let dir: string;
    beforeAll(async () => {
      if (spawnSync('rsyslogd', ['-v']).status !== 0) throw new Error('rsyslogd is required (apt-get install rsyslog; .ci/run installs it)');
      dir = mkdtempSync(join(tmpdir(), 'oom-rsyslog-'));
      const log = join(dir, 'kern.log');
      writeFileSync(log, '');
      // rsyslog reading /dev/kmsg (imkmsg) into a kern.log of its own, traditional file format.
      writeFileSync(
        join(dir, 'rsyslog.conf'),
        `global(workDirectory="${dir}")\nmodule(load="imkmsg")\nkern.* action(type="omfile" file="${log}" template="RSYSLOG_TraditionalFileFormat")\n`,
      );
      rsyslog = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: 'ignore' });
      exp = await startExporter(['--kernel-log.source=file', `--kernel-log.file=${log}`]);
    });
    afterAll(async () => {
      await exp?.stop();
      if (rsyslog && rsyslog.exitCode === null) {
        const gone = new Promise((r) => rsyslog?.once('exit', r));
        rsyslog.kill('SIGTERM');
        await gone;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('is counted with comm, memcg constraint and cgroup', async () => {
      await killAndCheck(exp, { pollUntilSeen: true });
    });
  });
});
