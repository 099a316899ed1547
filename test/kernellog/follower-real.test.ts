import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startKernelLog, type KernelLog, type KernelLogOptions } from '../../src/kernellog/follower.js';
import type { OomKill } from '../../src/kernellog/types.js';
import { requireRoot } from '../helpers/root.js';
import { ensureJournald } from './journald-helper.js';
import { realOomKill, type RealOomKill } from './oom-helper.js';

// Real kernel OOM kills through the follower. Other tests on this machine may OOM-kill processes at
// the same time: every assertion is about our victim's pid.

let dir: string;
const running: KernelLog[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-follower-real-'));
});
afterEach(async () => {
  for (const k of running.splice(0)) await k.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function follow(opts: Omit<KernelLogOptions, 'onKill'>) {
  const kills: OomKill[] = [];
  const k = await startKernelLog({ onKill: (kill) => kills.push(kill), ...opts });
  running.push(k);
  return { k, kills };
}

function expectVictim(kill: OomKill | undefined, v: RealOomKill): void {
  expect(kill).toMatchObject({
    killer: 'kernel',
    pid: v.pid,
    comm: 'oom (test) 1',
    constraint: 'CONSTRAINT_MEMCG',
    memcg: v.cgroup,
    oomMemcg: v.cgroup,
    invoker: 'oom (test) 1',
    uid: 0,
  });
}

describe('follower, real kernel OOM kills', () => {
  let stopJournald: (() => Promise<void>) | null = null;
  afterAll(async () => {
    await stopJournald?.();
  });

  it.runIf(requireRoot())('auto picks kmsg as root; the kill is in the list at the next drain, once', async () => {
    const { k, kills } = await follow({ source: 'auto' });
    expect(k.source).toBe('kmsg');
    expect(k.selection.rejected).toEqual([]);
    const victim = await realOomKill();
    k.drain();
    const ours = kills.filter((x) => x.pid === victim.pid);
    expect(ours).toHaveLength(1);
    expectVictim(ours[0], victim);
    expect(k.recent().some((x) => x.pid === victim.pid)).toBe(true);
    expect(k.recordsTotal()).toBeGreaterThan(5);
  });

  it.runIf(requireRoot())('kmsg: a kill while the exporter is down is counted once after a restart with a state file, never without', async () => {
    const stateFile = path.join(dir, 'state.json');
    const first = await follow({ source: 'kmsg', stateFile });
    await first.k.stop();

    const victim = await realOomKill();

    const withState = await follow({ source: 'kmsg', stateFile });
    expect(withState.k.resume.resumed).toBe(true);
    withState.k.drain();
    const ours = withState.kills.filter((x) => x.pid === victim.pid);
    expect(ours).toHaveLength(1);
    expectVictim(ours[0], victim);
    // Stopped before a scrape served it: the next run counts it again, once.
    await withState.k.stop();
    const unserved = await follow({ source: 'kmsg', stateFile });
    unserved.k.drain();
    expect(unserved.kills.filter((x) => x.pid === victim.pid)).toHaveLength(1);
    unserved.k.commit();
    await unserved.k.stop();

    // Again with the state the served run saved: already counted.
    const again = await follow({ source: 'kmsg', stateFile });
    again.k.drain();
    expect(again.kills.filter((x) => x.pid === victim.pid)).toEqual([]);

    const without = await follow({ source: 'kmsg' });
    without.k.drain();
    expect(without.kills.filter((x) => x.pid === victim.pid)).toEqual([]);
  });

  it.runIf(requireRoot())('journald: the kill arrives through journalctl', async () => {
    stopJournald = await ensureJournald();
    const { k, kills } = await follow({ source: 'journald' });
    await vi.waitFor(() => expect(k.up()).toBe(true), { timeout: 10_000, interval: 20 });
    const victim = await realOomKill();
    await vi.waitFor(() => expect(kills.some((x) => x.pid === victim.pid)).toBe(true), { timeout: 20_000, interval: 50 });
    const ours = kills.filter((x) => x.pid === victim.pid);
    expect(ours).toHaveLength(1);
    expectVictim(ours[0], victim);
    expect(ours[0]!.time).not.toBeNull();
  });
});
