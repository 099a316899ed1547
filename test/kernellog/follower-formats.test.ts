import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killsIn } from '../../src/kernellog/backlog.js';
import { startKernelLog, type KernelLog } from '../../src/kernellog/follower.js';
import { fileBacklog } from '../../src/kernellog/sources/file.js';
import type { OomKill } from '../../src/kernellog/types.js';

// The live follower and `oom-exporter kills` share the envelope reader and the parser: a syslog file in
// each of the envelopes people have, appended while the follower follows it, gives the kills the
// backlog gives (test/fixtures/kernellog/SOURCES.md).

const FIXTURES = [
  'logread-lede2878.txt',
  'logread-lede7056.txt',
  'remote-rfc5424-rsyslog-this-machine.txt',
  'remote-pri-3164-rsyslog-this-machine.txt',
  'syslog-imkmsg-escapes-this-machine.txt',
  'journal-short-monotonic-this-machine.txt',
  'journal-short-full-this-machine.txt',
  'dmesg-json-this-machine.txt',
  'dmesg-x-json-this-machine.txt',
  'quoted-kubernetes50632.txt',
  'numbered-ert9320.txt',
  'journalctl-earlyoom243.txt',
];

const fixture = (name: string): string => fs.readFileSync(new URL(`../fixtures/kernellog/${name}`, import.meta.url), 'utf8');

let dir: string;
let procfs: string;
const running: KernelLog[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-follower-formats-'));
  procfs = path.join(dir, 'proc');
  fs.mkdirSync(path.join(procfs, 'sys/kernel/random'), { recursive: true });
  fs.writeFileSync(path.join(procfs, 'sys/kernel/random/boot_id'), '0b7a5e1c-3f60-4d2a-9c1e-5a4f1e2d3c4b\n');
  fs.writeFileSync(path.join(procfs, 'stat'), 'cpu  1 2 3 4\nbtime 1790000000\nprocesses 5\n');
});
afterEach(async () => {
  for (const k of running.splice(0)) await k.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What the parts of a kill that do not depend on when it was read: times without a year take the reader's. */
const seen = (k: OomKill) => [k.killer, k.pid, k.comm, k.memcg, k.constraint, k.invoker, k.uptimeSeconds];

describe('the live follower reads the envelopes people have, as `kills --file` does', () => {
  it.each(FIXTURES)('%s appended to the followed file', async (name) => {
    const log = path.join(dir, 'kern.log');
    fs.writeFileSync(log, '');
    const kills: OomKill[] = [];
    const k = await startKernelLog({ procfs, source: 'file', file: log, pollIntervalMs: 3_600_000, onKill: (kill) => kills.push(kill) });
    running.push(k);
    fs.appendFileSync(log, fixture(name));
    k.drain();
    const expected = await killsIn(fileBacklog(log));
    expect(expected.length).toBeGreaterThan(0);
    expect(kills.map(seen)).toEqual(expected.map(seen));
  });
});
