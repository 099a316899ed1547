import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startExporter } from '../helpers/cli.js';
import { find, parseMetrics } from '../helpers/metrics.js';
import { requireTool } from '../helpers/promtool.js';

const dir = mkdtempSync(join(tmpdir(), 'oom-rotation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const haveLogrotate = spawnSync('logrotate', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * The real CLI follows a syslog file that the real logrotate rotates in the middle of a burst of kills:
 * by copytruncate (the followed file is copied, then truncated in place) and by create (renamed, a new
 * one created). Every kill written is counted exactly once: none lost at a truncation (read from the
 * copy), none counted twice.
 */
describe.runIf(requireTool(haveLogrotate, 'logrotate'))('rotation of the followed file mid-burst, by the real logrotate', () => {
  it.each([['copytruncate'], ['create']])('%s: 60 kills written around 6 rotations, each counted once', async (mode) => {
    const tag = randomBytes(3).toString('hex');
    const comm = `rot${tag}`;
    const file = join(dir, `${mode}.log`);
    writeFileSync(file, 'Nov 30 15:00:00 host kernel: [    0.000000] Linux version 6.1.0\n');
    const conf = join(dir, `${mode}.conf`);
    writeFileSync(conf, `${file} {\n  ${mode}\n  rotate 10\n  nocompress\n  missingok\n}\n`);
    const exp = await startExporter(['--kernel-log.source=file', `--kernel-log.file=${file}`]);
    let pid = 50_000;
    const kill = (): void => {
      pid++;
      appendFileSync(
        file,
        `Nov 30 15:00:01 host kernel: [  100.000000] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/${comm},task_memcg=/${comm},task=${comm},pid=${pid},uid=0\n` +
          `Nov 30 15:00:01 host kernel: [  100.000100] Memory cgroup out of memory: Killed process ${pid} (${comm}) total-vm:12345kB, anon-rss:65536kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0\n`,
      );
    };
    const counted = async (): Promise<number> => {
      const s = parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
      return find(s, 'oom_kill_events_total', { comm }).reduce((sum, x) => sum + x.value, 0);
    };
    try {
      for (let round = 0; round < 6; round++) {
        // Half the round's kills where the exporter's 500 ms poll has likely read them, half written just
        // before logrotate copies and truncates, which it has not.
        for (let i = 0; i < 5; i++) kill();
        await new Promise((r) => setTimeout(r, 600));
        for (let i = 0; i < 5; i++) kill();
        const r = spawnSync('logrotate', ['-f', '-s', join(dir, `${mode}.status`), conf], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      }
      await vi
        .waitFor(async () => expect(await counted()).toBe(60), { timeout: 10_000, interval: 200 })
        .catch((e: unknown) => {
          console.log(exp.stderr());
          throw e;
        });
      // And it stays there: nothing is read twice later.
      await new Promise((r) => setTimeout(r, 1200));
      expect(await counted()).toBe(60);
      expect(exp.stderr()).not.toMatch(/may be lost/);
    } finally {
      expect(await exp.stop()).toBe(0);
    }
  });
});
