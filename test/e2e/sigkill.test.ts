import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startExporter, type RunningExporter } from '../helpers/cli.js';
import { one, parseMetrics, type Sample } from '../helpers/metrics.js';
import { makeMemoryCgroup, realOomKill, realOomKillWithReport } from '../helpers/oom.js';
import { requireRoot } from '../helpers/root.js';

const dir = mkdtempSync(join(tmpdir(), 'oom-sigkill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function scrape(exp: RunningExporter): Promise<Sample[]> {
  return parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
}

/** SIGKILL, as the OOM killer or a failed liveness probe would: no shutdown, no final save. */
async function sigkill(exp: RunningExporter): Promise<void> {
  const exited = once(exp.child, 'exit');
  exp.child.kill('SIGKILL');
  await exited;
}

/**
 * The exporter is itself a likely SIGKILL victim. The state file must already hold the position of a
 * scrape when its body leaves, so a SIGKILL right after a scrape never makes the next run count that
 * scrape's kills again; and a kill while it is down is counted once after the restart.
 */
describe.runIf(requireRoot())('SIGKILLed right after a scrape, restarted with the same state file', () => {
  it('kmsg, real OOM kills: three rounds, each kill counted exactly once across the restarts', async () => {
    const tag = randomBytes(3).toString('hex');
    const state = join(dir, 'kmsg.json');
    const args = ['--kernel-log.source=kmsg', `--kernel-log.state-file=${state}`];
    const count = (s: Sample[], comm: string, cgroup: string) => one(s, 'oom_kill_events_total', { killer: 'kernel', comm, constraint: 'memcg', cgroup });
    let exp = await startExporter(args);
    try {
      for (let round = 1; round <= 3; round++) {
        const upComm = `sk${tag}u${round}`;
        const upCg = makeMemoryCgroup('oomsigkill');
        // A second old when it dies: the exporter has seen it, so its cgroup is known even when the
        // kernel's rate limit (other tests kill too) leaves it out of the report.
        await realOomKill(upComm, upCg, 1).finally(() => upCg.remove());
        // The scrape drains the log first: the kill is in this very body.
        expect(count(await scrape(exp), upComm, upCg.path)).toBe(1);
        await sigkill(exp);

        const downComm = `sk${tag}d${round}`;
        // Killed while no exporter runs: only the kernel's report can name its cgroup.
        const down = await realOomKillWithReport(downComm, 'oomsigkill');
        await down.cgroup.remove();
        const downCg = down.cgroup;

        exp = await startExporter(args);
        const s = await scrape(exp);
        expect(count(s, upComm, upCg.path)).toBeUndefined();
        expect(count(s, downComm, downCg.path)).toBe(1);
      }
    } finally {
      await exp.stop();
    }
  });

  it('a syslog file: three rounds, each kill counted exactly once across the restarts', async () => {
    const tag = randomBytes(3).toString('hex');
    const file = join(dir, 'kern.log');
    writeFileSync(file, 'Nov 30 15:00:00 host kernel: [    0.000000] Linux version 6.1.0\n');
    const state = join(dir, 'file.json');
    const args = ['--kernel-log.source=file', `--kernel-log.file=${file}`, `--kernel-log.state-file=${state}`];
    let pid = 40_000;
    const kill = (comm: string): void => {
      pid++;
      appendFileSync(
        file,
        `Nov 30 15:00:01 host kernel: [  100.000000] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/${comm},task_memcg=/${comm},task=${comm},pid=${pid},uid=0\n` +
          `Nov 30 15:00:01 host kernel: [  100.000100] Memory cgroup out of memory: Killed process ${pid} (${comm}) total-vm:12345kB, anon-rss:65536kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0\n`,
      );
    };
    const count = (s: Sample[], comm: string) => one(s, 'oom_kill_events_total', { killer: 'kernel', comm, constraint: 'memcg', cgroup: `/${comm}` });
    let exp = await startExporter(args);
    try {
      for (let round = 1; round <= 3; round++) {
        const upComm = `fk${tag}u${round}`;
        kill(upComm);
        expect(count(await scrape(exp), upComm)).toBe(1);
        await sigkill(exp);
        const downComm = `fk${tag}d${round}`;
        kill(downComm);
        exp = await startExporter(args);
        const s = await scrape(exp);
        expect(count(s, upComm)).toBeUndefined();
        expect(count(s, downComm)).toBe(1);
      }
    } finally {
      await exp.stop();
    }
  });
});

describe('reading the API or the console is not a scrape (the state file)', () => {
  it('a kill read by /api/v1/processes and / but never scraped is counted after a SIGKILL and restart', async () => {
    const tag = randomBytes(3).toString('hex');
    const file = join(dir, 'api-kern.log');
    writeFileSync(file, 'Nov 30 15:00:00 host kernel: [    0.000000] Linux version 6.1.0\n');
    const state = join(dir, 'api.json');
    const args = ['--kernel-log.source=file', `--kernel-log.file=${file}`, `--kernel-log.state-file=${state}`];
    const comm = `api${tag}`;
    let exp = await startExporter(args);
    try {
      await scrape(exp);
      appendFileSync(
        file,
        `Nov 30 15:00:01 host kernel: [  100.000100] Memory cgroup out of memory: Killed process 41999 (${comm}) total-vm:12345kB, anon-rss:65536kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0\n`,
      );
      // Both make a collection (which drains the log: the API lists the kill), neither serves a body to
      // a scraper. Before the fix, each saved the position past the kill.
      expect((await fetch(`${exp.url}/api/v1/processes?limit=1`)).status).toBe(200);
      expect((await fetch(`${exp.url}/`)).status).toBe(200);
      const listed = (await (await fetch(`${exp.url}/api/v1/kills`)).json()) as { data: { kills: { comm: string }[] } };
      expect(listed.data.kills.map((k) => k.comm)).toContain(comm);
      await sigkill(exp);
      exp = await startExporter(args);
      expect(one(await scrape(exp), 'oom_kill_events_total', { killer: 'kernel', comm, constraint: 'memcg', cgroup: '' })).toBe(1);
    } finally {
      await exp.stop();
    }
  });
});
