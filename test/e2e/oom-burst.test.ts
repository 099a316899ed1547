import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKernelLog, type KernelLog } from '../../src/kernellog/follower.js';
import type { OomKill } from '../../src/kernellog/types.js';
import { startExporter, type RunningExporter } from '../helpers/cli.js';
import { find, parseMetrics, type Sample } from '../helpers/metrics.js';
import { makeMemoryCgroup, realOomKill, type MemoryCgroup } from '../helpers/oom.js';
import { requireRoot } from '../helpers/root.js';

// The kernel prints the full OOM report (with task_memcg=) for 10 kills in 5 s (oom_rs, DEFAULT_RATELIMIT_
// INTERVAL/BURST in mm/oom_kill.c) and the Killed line, with pid and comm, for every kill. A burst of 30
// kills within a few seconds therefore leaves most of them without the kernel's cgroup: the exporter must
// name it from its own view of /proc. Other tests on this host OOM-kill processes at the same time (which
// only takes more of the kernel's budget): every assertion is about our own victims, by name and cgroup.

const KILLS = 30;
/** How long each victim lives, in its cgroup and under its name, before it allocates and is killed. */
const AGE_SECONDS = 1;
/** Victims start this far apart: 30 in 1.5 s, so their kills fall within a few seconds. */
const SPACING_MS = 50;

interface Victim {
  comm: string;
  cgroup: MemoryCgroup;
}

async function scrape(exp: RunningExporter): Promise<Sample[]> {
  return parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
}

describe.runIf(requireRoot())('a burst of 30 OOM kills of one-second-old victims, each in its own memory cgroup', () => {
  let exp: RunningExporter;
  let follower: KernelLog;
  const seen: OomKill[] = [];
  const victims: Victim[] = [];

  beforeAll(async () => {
    exp = await startExporter(['--kernel-log.source=kmsg']);
    // Our own reader of /dev/kmsg, to see what the kernel printed of each of our kills.
    follower = await startKernelLog({ source: 'kmsg', onKill: (k) => seen.push(k) });
  });
  afterAll(async () => {
    await exp?.stop();
    await follower?.stop();
    for (const v of victims) await v.cgroup.remove();
  });

  it('labels >= 95% of our kills with their cgroup, although the kernel left most reports without it', async () => {
    // Unique names (at most 15 bytes, the kernel's comm) and cgroups: no other process can be taken for ours.
    const tag = randomBytes(3).toString('hex');
    for (let i = 0; i < KILLS; i++) victims.push({ comm: `ob${tag}-${String(i).padStart(2, '0')}`, cgroup: makeMemoryCgroup('oomburst') });

    // Scraped meanwhile, as Prometheus would: scans and the refresh between them share the table.
    let bursting = true;
    const scraping = (async () => {
      while (bursting) {
        await scrape(exp);
        await new Promise((r) => setTimeout(r, 700));
      }
    })();
    const deaths: Promise<unknown>[] = [];
    try {
      for (const v of victims) {
        deaths.push(realOomKill(v.comm, v.cgroup, AGE_SECONDS));
        await new Promise((r) => setTimeout(r, SPACING_MS));
      }
      // Each resolves once the kernel has killed that victim (and rejects if it was not OOM-killed).
      await Promise.all(deaths);
    } finally {
      bursting = false;
      await Promise.allSettled(deaths);
      await scraping;
    }

    const ours = new Map(victims.map((v) => [v.comm, v]));
    const ourKills = (s: Sample[]): Sample[] => find(s, 'oom_kill_events_total').filter((x) => ours.has(x.labels.comm ?? ''));
    const counted = (s: Sample[]): number => ourKills(s).reduce((n, x) => n + x.value, 0);
    let samples = await scrape(exp);
    for (let i = 0; i < 50 && counted(samples) < KILLS; i++) {
      await new Promise((r) => setTimeout(r, 100));
      samples = await scrape(exp);
    }
    expect(counted(samples)).toBe(KILLS);

    // The kernel really left out task_memcg for some of our kills: the case under test happened.
    follower.drain();
    const reports = seen.filter((k) => ours.has(k.comm ?? ''));
    expect(reports).toHaveLength(KILLS);
    const withoutCgroup = reports.filter((k) => k.memcg === null).length;
    expect(withoutCgroup).toBeGreaterThan(0);

    // Each of our kills is labelled with its own cgroup (or left unlabelled), never another's.
    let labelled = 0;
    for (const s of ourKills(samples)) {
      const v = ours.get(s.labels.comm ?? '');
      expect([v?.cgroup.path, '']).toContain(s.labels.cgroup);
      expect(s.labels.constraint).toBe('memcg');
      if (s.labels.cgroup === v?.cgroup.path) labelled += s.value;
    }
    // >= 95% of 30: at most one of our kills without its cgroup.
    expect(labelled, `${labelled} of ${KILLS} labelled; the kernel printed task_memcg for ${KILLS - withoutCgroup}`).toBeGreaterThanOrEqual(Math.ceil(0.95 * KILLS));
  });
});
