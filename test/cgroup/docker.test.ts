import { ByteWriter } from '../../src/exposition.js';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createContainerNames, type ContainerRecord } from '../../src/cgroup/docker.js';
import { cgroupCollector, makeDockerCollector } from '../../src/collectors/cgroup.js';
import type { Scrape } from '../../src/collectors/types.js';
import { parseConfig } from '../../src/config.js';
import type { KillStore } from '../../src/kills/store.js';
import { createLogger } from '../../src/log.js';
import { find, one, parseMetrics } from '../helpers/metrics.js';

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

    await c.answer(0, [{ id: ID, name: 'web' }, { id: 'x'.repeat(64), name: '' }]);
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
  const flags = [
    { name: 'cgroup', defaultEnabled: true, help: '' },
    { name: 'docker', defaultEnabled: false, help: '' },
  ];

  async function setup(argv: string[]) {
    const registry = new Registry();
    const config = parseConfig([`--path.procfs=${FIX}/v2/proc`, `--path.sysfs=${FIX}/v2/sys`, ...argv], flags);
    const kills: KillStore = { record() {}, series: () => [], cgroups: () => new Set([CGROUP, '/system.slice/nginx.service']) };
    const env = { config, registry, log: createLogger('error', 'logfmt', () => {}), kills };
    const c = controlledList();
    const collectors = [await cgroupCollector.create(env)];
    if (config.collectors.get('docker')) collectors.push(await makeDockerCollector(c.list).create(env));
    const scrape: Scrape = { out: new ByteWriter(), processes: () => ({ visible: 0, exported: [] }) };
    return {
      c,
      async scrape() {
        for (const col of collectors) await col.collect(scrape);
        return parseMetrics(await registry.metrics());
      },
    };
  }

  it('adds container_name to oom_cgroup_info once Docker answered; "" for cgroups Docker does not know', async () => {
    const { c, scrape } = await setup(['--collector.docker']);
    expect(c.calls()).toBe(1); // started when the collector was created
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
    const { c, scrape } = await setup([]);
    expect(c.calls()).toBe(0);
    const s = await scrape();
    expect(find(s, 'oom_cgroup_info', { cgroup: CGROUP })[0]?.labels).not.toHaveProperty('container_name');
  });
});
