import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createContainerNames, type ContainerRecord } from '../../src/cgroup/docker.js';
import { createCgroupCollector } from '../../src/collectors/cgroup.js';
import type { Collector } from '../../src/collectors/collector.js';
import { createDockerCollector } from '../../src/collectors/docker.js';
import { emit, scrapeOf } from '../helpers/collect.js';
import { find, one } from '../helpers/metrics.js';

const FIX = fileURLToPath(new URL('../fixtures/cgroup', import.meta.url));
const ID = 'd0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98';
const CGROUP = `/system.slice/docker-${ID}.scope`;

/** A list() whose answers the test hands out one at a time. */
function controlledList() {
  const pending: { resolve: (c: readonly ContainerRecord[]) => void; reject: (e: Error) => void }[] = [];
  return {
    calls: () => pending.length,
    list: () => new Promise<readonly ContainerRecord[]>((resolve, reject) => pending.push({ resolve, reject })),
    answer: async (i: number, containers: ContainerRecord[]) => {
      pending[i]?.resolve(containers);
      await new Promise((r) => setImmediate(r));
    },
    fail: async (i: number) => {
      pending[i]?.reject(new Error('connect ECONNREFUSED /var/run/docker.sock'));
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('container names', () => {
  it('looks up at most once per interval, one look-up at a time, and never makes a caller wait', async () => {
    let t = 0;
    const c = controlledList();
    const errors: unknown[] = [];
    const names = createContainerNames({ list: c.list, intervalMs: 60_000, now: () => t, onError: (e) => errors.push(e) });

    names.refreshIfDue();
    names.refreshIfDue();
    expect(c.calls()).toBe(1);
    // The look-up has not answered: callers get what is known (nothing yet) at once.
    expect(names.names().size).toBe(0);
    expect(names.listed()).toBeUndefined();

    t = 120_000; // overdue, but the first look-up still runs: no second one
    names.refreshIfDue();
    expect(c.calls()).toBe(1);

    await c.answer(0, [
      { id: ID, name: 'web' },
      { id: 'x'.repeat(64), name: '' },
    ]);
    expect(names.names().get(ID)).toBe('web');
    expect(names.listed()).toBe(2);

    t = 150_000; // the last look-up started at 0, a minute ago or more: due
    names.refreshIfDue();
    expect(c.calls()).toBe(2);
    await c.fail(1);
    // Docker unreachable: the names it gave before stay.
    expect(names.names().get(ID)).toBe('web');
    expect(errors).toHaveLength(1);

    t = 160_000; // the failed look-up started at 150 s: not due again yet
    names.refreshIfDue();
    expect(c.calls()).toBe(2);
  });
});

describe('--collector.docker', () => {
  // As the composition root wires them: one name service, started at once, refreshed before each scrape.
  function setup(docker: boolean) {
    const c = controlledList();
    const containers = docker ? createContainerNames({ list: c.list }) : null;
    containers?.refreshIfDue();
    const collectors: Collector[] = [
      createCgroupCollector({
        paths: { procfs: `${FIX}/v2/proc`, sysfs: `${FIX}/v2/sys`, cgroupfs: undefined },
        killCgroups: () => [CGROUP, '/system.slice/nginx.service'],
        containers,
      }),
    ];
    if (containers !== null) collectors.push(createDockerCollector({ containers }));
    return {
      c,
      async scrape() {
        containers?.refreshIfDue();
        return emit(collectors, scrapeOf([]));
      },
    };
  }

  it('adds container_name to oom_cgroup_info once Docker answered; "" for cgroups Docker does not know', async () => {
    const { c, scrape } = setup(true);
    expect(c.calls()).toBe(1); // started when the name service was created
    const before = await scrape();
    expect(find(before, 'oom_cgroup_info', { cgroup: CGROUP })[0]?.labels.container_name).toBe('');
    expect(find(before, 'oom_docker_containers')).toEqual([]);

    await c.answer(0, [{ id: ID, name: 'web' }]);
    const after = await scrape();
    expect(find(after, 'oom_cgroup_info', { cgroup: CGROUP })[0]?.labels).toMatchObject({ container_id: ID, runtime: 'docker', container_name: 'web' });
    expect(find(after, 'oom_cgroup_info', { cgroup: '/system.slice/nginx.service' })[0]?.labels.container_name).toBe('');
    expect(one(after, 'oom_docker_containers')).toBe(1);
  });

  it('is off by default: no container_name label', async () => {
    const { c, scrape } = setup(false);
    expect(c.calls()).toBe(0);
    const s = await scrape();
    expect(find(s, 'oom_cgroup_info', { cgroup: CGROUP })[0]?.labels).not.toHaveProperty('container_name');
  });
});
