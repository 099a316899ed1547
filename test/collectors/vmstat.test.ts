import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createVmstatCollector } from '../../src/collectors/vmstat.js';
import { emitText, scrapeOf } from '../helpers/collect.js';

const procfs = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe('vmstat collector', () => {
  it("passes the kernel's oom_kill count on as oom_kills_total", async () => {
    expect(await emitText([createVmstatCollector({ procfs: procfs('proc') })], scrapeOf([]))).toBe(
      '# HELP oom_kills_total OOM kills since boot, counted by the kernel (/proc/vmstat oom_kill).\n# TYPE oom_kills_total counter\noom_kills_total 3\n',
    );
  });

  // Mutation it catches: the missing counter exported as 0 (`parseVmstatValue(...) ?? 0`): a made-up 0
  // that a rate() or an alert on kills would read as "no kills" on a kernel that cannot count them.
  it('writes no series at all before Linux 4.13 (no oom_kill line), and does not fail', async () => {
    expect(await emitText([createVmstatCollector({ procfs: procfs('proc-before-4.13') })], scrapeOf([]))).toBe('');
  });

  it('fails, naming the file, when /proc/vmstat cannot be read', async () => {
    await expect(emitText([createVmstatCollector({ procfs: '/nonexistent-procfs' })], scrapeOf([]))).rejects.toThrow('/nonexistent-procfs/vmstat');
  });
});
