import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { killsIn } from '../../src/kernellog/backlog.js';
import { parseJournalJson } from '../../src/kernellog/journal-record.js';
import { fileBacklog } from '../../src/kernellog/sources/file.js';
import { journaldBacklog } from '../../src/kernellog/sources/journald.js';

// `journalctl -k -o json` and `journalctl -o json` on this machine (standalone systemd-journald in a
// private mount namespace, reading the /dev/kmsg backlog): one memcg OOM report of "oom (test) 1", a record
// another test wrote into /dev/kmsg (facility 1), one journald wrote there (facility 5), and journald's
// own "Missed N kernel messages". See test/fixtures/kernellog/SOURCES.md.
const REAL = fileURLToPath(new URL('../fixtures/kernellog/journal-json-this-machine.txt', import.meta.url));
const realLines = readFileSync(REAL, 'utf8')
  .split('\n')
  .filter((l) => l !== '');

// Field set of `journalctl -k -o json` for a kernel record (journald-kmsg.c writes these fields).
const kernelEntry = {
  __CURSOR: 's=1b2c;i=1a4;b=7d1e;m=4d6c3a2;t=5f1c;x=9e',
  __REALTIME_TIMESTAMP: '1714395341679700',
  __MONOTONIC_TIMESTAMP: '1298497700',
  _BOOT_ID: '7d1e0b6f2a2e4e0a9b1f6b8f2a1c3d4e',
  _TRANSPORT: 'kernel',
  PRIORITY: '3',
  SYSLOG_IDENTIFIER: 'kernel',
  _SOURCE_MONOTONIC_TIMESTAMP: '1298497674',
  MESSAGE: 'Memory cgroup out of memory: Killed process 1928 (oom (test) 1) total-vm:82536kB',
};

describe('parseJournalJson', () => {
  it('reads a kernel record with its cursor, boot id and both clocks', () => {
    expect(parseJournalJson(JSON.stringify(kernelEntry))).toEqual({
      record: {
        message: kernelEntry.MESSAGE,
        fromKernel: true,
        identifier: 'kernel',
        time: '2024-04-29T12:55:41.679Z',
        uptimeSeconds: 1298.497674,
      },
      cursor: kernelEntry.__CURSOR,
      bootId: kernelEntry._BOOT_ID,
      realtimeUsec: 1714395341679700,
      missedKernelMessages: null,
    });
  });

  it('decodes MESSAGE given as an array of byte values as UTF-8', () => {
    const bytes = [...Buffer.from('Killed process 7 (W\u00f6rk\x01) total-vm:1kB', 'utf8')];
    const e = parseJournalJson(JSON.stringify({ ...kernelEntry, MESSAGE: bytes }));
    expect(e?.record.message).toBe('Killed process 7 (W\u00f6rk\x01) total-vm:1kB');
  });

  it('treats a line a process wrote into /dev/kmsg (facility >= 1) as not from the kernel, and drops its claimed tag', () => {
    const e = parseJournalJson(
      JSON.stringify({
        ...kernelEntry,
        SYSLOG_FACILITY: '1',
        SYSLOG_IDENTIFIER: 'systemd-oomd',
        MESSAGE: 'Killed /a.scope due to memory pressure for /b being 1% > 0% for > 1s with reclaim activity',
      }),
    );
    expect(e?.record).toMatchObject({ fromKernel: false, identifier: null, uptimeSeconds: null });
  });

  it('accepts SYSLOG_FACILITY=0 on kernel records (this journald sets it; older ones leave it out)', () => {
    expect(parseJournalJson(JSON.stringify({ ...kernelEntry, SYSLOG_FACILITY: '0' }))?.record.fromKernel).toBe(true);
  });

  it("reads real entries of this machine: the kill with its report, the kernel's time, and the losses", () => {
    const entries = realLines.map(parseJournalJson);
    expect(entries.every((e) => e !== null)).toBe(true);
    const kill = entries.find((e) => e!.record.message.includes('Killed process'))!;
    expect(kill.record).toEqual({
      message:
        'Memory cgroup out of memory: Killed process 7136 (oom (test) 1) total-vm:423740kB, anon-rss:68352kB, file-rss:5692kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0',
      fromKernel: true,
      identifier: 'kernel',
      // journald read this backlog record at 03:27:10.129; the kernel wrote it 93.3 s earlier.
      time: '2026-11-27T03:25:36.838Z',
      uptimeSeconds: 3282.636922,
    });
    expect(kill.realtimeUsec).toBe(1795750030129648);
    expect(kill.bootId).toBe('ef576f51d62b4672928c27480c8bbdb6');
    expect(kill.cursor).toMatch(/^s=a693d0ea6be04803ac395752113ed9e1;i=/);
    const written = entries.filter((e) => e!.record.fromKernel === false && e!.missedKernelMessages === null);
    expect(written.map((e) => [e!.record.message, e!.record.identifier])).toEqual([
      ['Received SIGTERM from PID 7119 (node).', null],
      ['oom-exporter kmsg test 5c64f6700376', null],
      ['Received SIGTERM from PID 31794 (node).', null],
    ]);
    expect(entries.map((e) => e!.missedKernelMessages).filter((n) => n !== null)).toEqual([2365]);
  });

  it.each([
    ['the file source (kills --file), through parseLine', () => fileBacklog(REAL)],
    // A journalctl that prints the same output, whatever arguments it gets.
    ['the journald source (kills on journald)', () => journaldBacklog({ command: ['/bin/sh', '-c', 'cat "$0"', REAL] })],
  ])('joins the real report into one kill, read through %s', async (_name, backlog) => {
    expect((await killsIn(backlog())).map(({ report: _report, ...k }) => k)).toEqual([
      {
        killer: 'kernel',
        pid: 7136,
        comm: 'oom (test) 1',
        uid: 0,
        constraint: 'CONSTRAINT_MEMCG',
        memcg: '/oomtest-7119-b1e86fb5',
        oomMemcg: '/oomtest-7119-b1e86fb5',
        invoker: 'oom (test) 1',
        totalVmBytes: 423740 * 1024,
        anonRssBytes: 68352 * 1024,
        fileRssBytes: 5692 * 1024,
        shmemRssBytes: 0,
        pgtablesBytes: 200 * 1024,
        oomScoreAdj: 0,
        time: '2026-11-27T03:25:36.838Z',
        uptimeSeconds: 3282.636922,
        prefixConstraint: 'memcg',
      },
    ]);
  });

  it('never throws on extreme clock values: 16 digits stay within Date, longer ones are not clocks', () => {
    const big = parseJournalJson(
      JSON.stringify({ ...kernelEntry, __REALTIME_TIMESTAMP: '9999999999999999', __MONOTONIC_TIMESTAMP: '0', _SOURCE_MONOTONIC_TIMESTAMP: '9999999999999999' }),
    );
    expect(big?.record.time).toBe('2603-10-11T11:33:20.000Z');
    const tooBig = parseJournalJson(JSON.stringify({ ...kernelEntry, __REALTIME_TIMESTAMP: '99999999999999999999', _SOURCE_MONOTONIC_TIMESTAMP: '-5' }));
    expect(tooBig?.record).toMatchObject({ time: null, uptimeSeconds: null });
    expect(tooBig?.realtimeUsec).toBeNull();
  });

  it('reads a userspace record (earlyoom via syslog) with its identifier', () => {
    const e = parseJournalJson(
      JSON.stringify({
        __REALTIME_TIMESTAMP: '1700000000000001',
        _TRANSPORT: 'syslog',
        SYSLOG_IDENTIFIER: 'earlyoom',
        _SOURCE_MONOTONIC_TIMESTAMP: '5',
        MESSAGE: 'sending SIGTERM to process 1 uid 0 "x": oom_score 1, oom_score_adj 0, VmRSS 1 MiB, cmdline "x"',
      }),
    );
    expect(e?.record).toMatchObject({ fromKernel: false, identifier: 'earlyoom', time: '2023-11-14T22:13:20.000Z', uptimeSeconds: null });
    expect(e?.cursor).toBeNull();
  });

  it('reports journald\'s "Missed N kernel messages" (SD_MESSAGE_JOURNAL_MISSED) as lost records', () => {
    const e = parseJournalJson(
      JSON.stringify({
        __CURSOR: 'c',
        _TRANSPORT: 'driver',
        SYSLOG_IDENTIFIER: 'systemd-journald',
        MESSAGE_ID: 'e9bf28e6e834481bb6f48f548ad13606',
        MESSAGE: 'Missed 17 kernel messages',
      }),
    );
    expect(e?.missedKernelMessages).toBe(17);
    expect(e?.record.fromKernel).toBe(false);
    // The same words from anyone else are just text.
    const fake = parseJournalJson(JSON.stringify({ _TRANSPORT: 'syslog', MESSAGE: 'Missed 17 kernel messages' }));
    expect(fake?.missedKernelMessages).toBeNull();
  });

  // An array of entries (what `journalctl -o json` never prints, a JSON document does), a number, a boolean:
  // no object, no entry.
  it.each(['', 'not json', '{"MESSAGE":', '[1,2]', 'null', '{"MESSAGE":42}', '{"MESSAGE":[300]}', '{}', '"s"', '[{"MESSAGE":"x"}]', '17', 'true'])(
    'returns null and never throws for %j',
    (line) => {
      expect(parseJournalJson(line)).toBeNull();
    },
  );
});

describe('parseJournalJson, field by field', () => {
  const entry = (o: Record<string, unknown>): string => JSON.stringify({ ...kernelEntry, ...o });

  it('decodes MESSAGE bytes 0 to 255, and refuses anything else in the array', () => {
    expect(parseJournalJson(entry({ MESSAGE: [72, 0, 105] }))?.record.message).toBe('H\0i');
    expect(parseJournalJson(entry({ MESSAGE: [255] }))?.record.message).toBe('\ufffd');
    for (const bad of [[256], [-1], [1.5], ['a'], [null]]) expect(parseJournalJson(entry({ MESSAGE: bad })), JSON.stringify(bad)).toBeNull();
  });

  it('takes a clock only as a string of 1 to 16 digits', () => {
    for (const bad of ['', '12a', '-5', 1714395341679700, '12345678901234567']) {
      expect(parseJournalJson(entry({ __REALTIME_TIMESTAMP: bad, _SOURCE_MONOTONIC_TIMESTAMP: undefined }))?.record.time, String(bad)).toBeNull();
    }
    expect(parseJournalJson(entry({ __REALTIME_TIMESTAMP: '1000', _SOURCE_MONOTONIC_TIMESTAMP: undefined }))?.record.time).toBe('1970-01-01T00:00:00.001Z');
  });

  it("puts the kernel's own stamp on journald's pair of clocks; without any of the three, journald's time", () => {
    const at = (o: Record<string, unknown>): string | null | undefined => parseJournalJson(entry(o))?.record.time;
    // 1714395341679700 - 1298497700 + 1298497674: 26 µs before journald read it.
    expect(at({})).toBe(new Date(Math.floor((1714395341679700 - 26) / 1000)).toISOString());
    expect(at({ _SOURCE_MONOTONIC_TIMESTAMP: undefined })).toBe(new Date(1714395341679).toISOString());
    expect(at({ __MONOTONIC_TIMESTAMP: undefined })).toBe(new Date(1714395341679).toISOString());
    expect(at({ __REALTIME_TIMESTAMP: undefined })).toBeNull();
  });

  it('reads an object after leading blanks, and nothing that is not an object', () => {
    expect(parseJournalJson('  ' + entry({}))?.record.message).toBe(kernelEntry.MESSAGE);
    expect(parseJournalJson('\t' + entry({}))?.cursor).toBe(kernelEntry.__CURSOR);
    for (const bad of ['x' + entry({}), '  [1]', ' null', '{', '{"MESSAGE":"x"', ' "s"']) expect(parseJournalJson(bad), bad).toBeNull();
  });

  it('counts "Missed N kernel messages" from journald itself: its MESSAGE_ID or its driver transport, the words first', () => {
    const missed = (o: Record<string, unknown>): number | null | undefined =>
      parseJournalJson(JSON.stringify({ SYSLOG_IDENTIFIER: 'systemd-journald', MESSAGE: 'Missed 5 kernel messages', ...o }))?.missedKernelMessages;
    expect(missed({ _TRANSPORT: 'journal', MESSAGE_ID: 'e9bf28e6e834481bb6f48f548ad13606' })).toBe(5);
    expect(missed({ _TRANSPORT: 'driver' })).toBe(5);
    expect(missed({ _TRANSPORT: 'journal' })).toBeNull();
    expect(missed({ _TRANSPORT: 'kernel', MESSAGE_ID: 'e9bf28e6e834481bb6f48f548ad13606', MESSAGE: 'xMissed 5 kernel messages' })).toBeNull();
    expect(missed({ _TRANSPORT: 'driver', MESSAGE: 'Journal started' })).toBeNull();
  });
});
