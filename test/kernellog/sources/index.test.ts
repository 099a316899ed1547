import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKernelLog, type KernelLog } from '../../../src/kernellog/follower.js';
import { chooseSource } from '../../../src/kernellog/sources/auto.js';
import { KERNEL_LOG_SOURCES, SOURCES } from '../../../src/kernellog/sources/index.js';
import { FAKE_KILLED as KILLED, fakeSource } from './fake-source.js';

describe('the registration table (sources/index.ts)', () => {
  it('is what --kernel-log.source accepts, in the order auto tries the sources', () => {
    expect(SOURCES.map((s) => s.name)).toEqual(['kmsg', 'journald', 'file']);
    expect(KERNEL_LOG_SOURCES).toEqual(['auto', 'kmsg', 'journald', 'file', 'none']);
  });

  it('every registered source reads back the positions it gives, and refuses malformed ones', () => {
    const good = {
      kmsg: { source: 'kmsg', seq: 7 },
      journald: { source: 'journald', cursor: 's=1;i=2' },
      file: { source: 'file', path: '/var/log/x', inode: '12', offset: 3 },
    };
    for (const s of SOURCES) {
      expect(s.parsePosition(good[s.name])).toEqual(good[s.name]);
      expect(s.parsePosition({ source: s.name })).toBeNull();
    }
  });
});

describe('a source registered in one table only', () => {
  let dir: string;
  let procfs: string;
  const running: KernelLog[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-sources-index-'));
    procfs = path.join(dir, 'proc');
    fs.mkdirSync(path.join(procfs, 'sys/kernel/random'), { recursive: true });
    fs.writeFileSync(path.join(procfs, 'sys/kernel/random/boot_id'), 'b00t\n');
  });
  afterEach(async () => {
    for (const k of running.splice(0)) await k.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is found by auto, and by name', async () => {
    const { definition, calls } = fakeSource([]);
    expect(await chooseSource({ requested: 'auto' }, [definition])).toEqual({ source: 'fake', file: null, rejected: [] });
    expect(calls.probes).toBe(1);
    expect(await chooseSource({ requested: 'fake' as never, file: '/x' }, [definition])).toEqual({ source: 'fake', file: null, rejected: [] });
  });

  it('is followed live by the follower, which saves its position and resumes from it', async () => {
    const log = ['Linux version 6.1'];
    const { definition, calls } = fakeSource(log);
    const stateFile = path.join(dir, 'state.json');
    const pids: (number | null)[] = [];
    const start = async () => {
      const k = await startKernelLog({ source: 'auto', sources: [definition], procfs, stateFile, pollIntervalMs: 3_600_000, onKill: (kill) => pids.push(kill.pid) });
      running.push(k);
      return k;
    };
    const first = await start();
    expect(first.source).toBe('fake');
    log.push(KILLED);
    first.drain();
    expect(pids).toEqual([4242]);
    first.commit();
    await first.stop();
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8'))).toMatchObject({ source: 'fake', position: { source: 'fake', n: 2 } });

    log.push(KILLED.replace('4242', '4243'));
    const second = await start();
    expect(second.resume.resumed).toBe(true);
    expect(calls.live).toEqual([undefined, { source: 'fake', n: 2 }]);
    second.drain();
    expect(pids).toEqual([4242, 4243]);
  });
});
