import { describe, expect, it } from 'vitest';
import { createLineReader, parseLine } from '../../src/kernellog/envelope.js';
import { unescapeRsyslog } from '../../src/kernellog/escapes.js';
import { createOomParser } from '../../src/kernellog/parse.js';
import type { LogRecord } from '../../src/kernellog/types.js';

// "Now" for lines without a year: 2026-11-27 12:00 local time.
const NOW = new Date(2026, 10, 27, 12, 0, 0).getTime();
/** RFC 3164 and dmesg -T stamps are the reading machine's local time. */
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): string => new Date(y, mo - 1, d, h, mi, s, ms).toISOString();

const KILL =
  'Out of memory: Killed process 1440763 (perl) total-vm:87033376kB, anon-rss:60356340kB, file-rss:0kB, shmem-rss:0kB, UID:21417 pgtables:169956kB oom_score_adj:0';

function rec(message: string, fields: Partial<LogRecord> = {}): LogRecord {
  return { message, fromKernel: true, identifier: null, time: null, uptimeSeconds: null, ...fields };
}

/** A dmesg form: what is not printable is still \xNN in the message, for the parser to decode. */
const dmesg = (message: string, fields: Partial<LogRecord> = {}): LogRecord => rec(message, { ...fields, escapes: 'kmsg' });

/**
 * A syslog line tagged "kernel": with the kernel's [uptime] it came through the syslog interface (rsyslog's
 * #NNN escapes), without it maybe through imkmsg (the kernel's \xNN).
 */
const kern = (message: string, fields: Partial<LogRecord> = {}): LogRecord =>
  rec(message, { identifier: 'kernel', ...fields, escapes: fields.uptimeSeconds === undefined ? 'kmsg' : 'rsyslog' });

describe('parseLine: envelopes', () => {
  it.each<[string, string, LogRecord | null]>([
    // Real lines (sources in test/fixtures/kernellog/SOURCES.md); synthetic ones say so.
    [
      'raw /dev/kmsg record (this machine)',
      '3,423,1298497674,-;Memory cgroup out of memory: Killed process 1928 (oom (test) 1) total-vm:82536kB',
      rec('Memory cgroup out of memory: Killed process 1928 (oom (test) 1) total-vm:82536kB', { uptimeSeconds: 1298.497674 }),
    ],
    [
      'raw /dev/kmsg record written by a process (synthetic)',
      '12,7,100,-;Killed process 1 (x) total-vm:1kB',
      rec('Killed process 1 (x) total-vm:1kB', { fromKernel: false, uptimeSeconds: 0.0001 }),
    ],
    ['kmsg continuation line', ' SUBSYSTEM=virtio', null],
    ['dmesg (reportportal/kubernetes#203)', `[ 7063.247407] ${KILL}`, dmesg(KILL, { uptimeSeconds: 7063.247407 })],
    ['dmesg -d (synthetic)', `[ 7063.247407 <    0.000003>] ${KILL}`, dmesg(KILL, { uptimeSeconds: 7063.247407 })],
    ['dmesg -r (synthetic)', `<3>[ 7063.247407] ${KILL}`, dmesg(KILL, { uptimeSeconds: 7063.247407 })],
    ['dmesg -r, user facility (synthetic)', `<14>[   12.5] earlyoom[1]: hello`, dmesg('earlyoom[1]: hello', { fromKernel: false, uptimeSeconds: 12.5 })],
    ['dmesg -x (synthetic)', `kern  :err   : [ 7063.247407] ${KILL}`, dmesg(KILL, { uptimeSeconds: 7063.247407 })],
    [
      'dmesg -x, user facility (synthetic)',
      `user  :warn  : [   12.5] Killed process 1 (x) total-vm:1kB`,
      dmesg('Killed process 1 (x) total-vm:1kB', { fromKernel: false, uptimeSeconds: 12.5 }),
    ],
    ['dmesg -x -T (synthetic)', `kern  :err   : [Fri Nov 21 14:22:56 2025] ${KILL}`, dmesg(KILL, { time: local(2025, 11, 21, 14, 22, 56) })],
    ['dmesg -T (inducer/relate#1383)', `[Fri Nov 21 14:22:56 2025] ${KILL}`, dmesg(KILL, { time: local(2025, 11, 21, 14, 22, 56) })],
    ['dmesg -T, space-padded day (inducer/relate#1383)', '[Mon Dec  8 17:51:31 2025] Call Trace:', dmesg('Call Trace:', { time: local(2025, 12, 8, 17, 51, 31) })],
    ['dmesg -e delta (synthetic)', `[  +0.007186] ${KILL}`, dmesg(KILL)],
    ['dmesg -e minute (synthetic)', `[Nov 7 00:05] ${KILL}`, dmesg(KILL, { time: local(2026, 11, 7, 0, 5, 0) })],
    ['dmesg --time-format iso (equinor/ert#7797)', `2024-04-29T14:55:41,679700+02:00 ${KILL}`, dmesg(KILL, { time: '2024-04-29T12:55:41.679Z' })],
    ['syslog RFC 3339 (synthetic, rsyslog default template)', `2026-02-08T00:40:07.136582+00:00 host kernel: ${KILL}`, kern(KILL, { time: '2026-02-08T00:40:07.136Z' })],
    [
      'journalctl short-iso (synthetic)',
      '2026-02-08T00:40:07+0100 host systemd-oomd[62078]: Killed /a.scope due to memory pressure for /b being 1% > 0% for > 1s with reclaim activity',
      rec('Killed /a.scope due to memory pressure for /b being 1% > 0% for > 1s with reclaim activity', {
        fromKernel: false,
        identifier: 'systemd-oomd',
        time: '2026-02-07T23:40:07.000Z',
      }),
    ],
    [
      'syslog RFC 3164 with [uptime] (cPanelSSP/SSP#76)',
      'Mar  2 17:35:10 server1 kernel: [2858609.598568] Killed process 11726, UID 498, (mysqld) total-vm:7823732kB',
      kern('Killed process 11726, UID 498, (mysqld) total-vm:7823732kB', {
        time: local(2026, 3, 2, 17, 35, 10),
        uptimeSeconds: 2858609.598568,
      }),
    ],
    ['journalctl short (NixOS/nixpkgs#435587)', `Aug 20 13:44:01 kinga kernel: ${KILL}`, kern(KILL, { time: local(2026, 8, 20, 13, 44, 1) })],
    ['journalctl short-precise (synthetic)', `Aug 20 13:44:01.123456 kinga kernel: ${KILL}`, kern(KILL, { time: local(2026, 8, 20, 13, 44, 1, 123) })],
    [
      'journalctl short, Russian month (rfjakob/earlyoom#121)',
      'апр 28 01:23:30 PC kernel: Out of memory: Kill process 27541 (bash) score 572 or sacrifice child',
      kern('Out of memory: Kill process 27541 (bash) score 572 or sacrifice child', { time: local(2026, 4, 28, 1, 23, 30) }),
    ],
    [
      'journalctl short, French month, no host (systemd/systemd#32304)',
      'avril 16 21:08:50 systemd-oomd[93234]: Considered 97 cgroups for killing, top candidates were:',
      rec('Considered 97 cgroups for killing, top candidates were:', {
        fromKernel: false,
        identifier: 'systemd-oomd',
        time: local(2026, 4, 16, 21, 8, 50),
      }),
    ],
    ['journalctl short, unknown month word (synthetic)', 'Xyz 16 21:08:50 host kernel: hello', kern('hello')],
    [
      'journalctl short, no host (rfjakob/earlyoom#354)',
      'Nov 12 17:08:37 earlyoom[1295]: process 906175 did not exit',
      rec('process 906175 did not exit', { fromKernel: false, identifier: 'earlyoom', time: local(2026, 11, 12, 17, 8, 37) }),
    ],
    [
      'syslog, numeric host (systemd/systemd#6966)',
      'Aug 18 03:19:11 169 kernel: Killed process 7748 (python) total-vm:12907828kB',
      kern('Killed process 7748 (python) total-vm:12907828kB', { time: local(2026, 8, 18, 3, 19, 11) }),
    ],
    ['bare text (google/cadvisor oomparser_test.go)', 'Task in /mem2 killed as a result of limit of /mem2', rec('Task in /mem2 killed as a result of limit of /mem2')],
    // Indented text is read without its indentation: a call-trace line is the same text either way.
    ['bare call-trace line', ' [<ffffffff81720bf6>] dump_stack+0x45/0x56', rec('[<ffffffff81720bf6>] dump_stack+0x45/0x56')],
    ['bare task-list row', '[ 1381]     0  1381   530382     5191 gunpowder-memho', rec('[ 1381]     0  1381   530382     5191 gunpowder-memho')],
    ['bare line starting with digits', '204 total pagecache pages', rec('204 total pagecache pages')],
    ['CRLF line end', `[ 1.5] ${KILL}\r`, dmesg(KILL, { uptimeSeconds: 1.5 })],
    ['empty line', '', null],
  ])('%s', (_name, line, expected) => {
    expect(parseLine(line, NOW)).toEqual(expected);
  });

  it('delegates journalctl -o json lines to parseJournalJson', () => {
    const line = JSON.stringify({ MESSAGE: KILL, _TRANSPORT: 'kernel', SYSLOG_IDENTIFIER: 'kernel', _SOURCE_MONOTONIC_TIMESTAMP: '7063247407' });
    expect(parseLine(line, NOW)).toEqual(rec(KILL, { identifier: 'kernel', uptimeSeconds: 7063.247407 }));
    // A brace that is not JSON is kept as text rather than dropped.
    expect(parseLine('{not json', NOW)).toEqual(rec('{not json'));
  });

  it('gives a line without a year the year that keeps it out of the future', () => {
    const jan2 = new Date(2027, 0, 2, 10, 0, 0).getTime();
    expect(parseLine('Dec 31 23:59:59 h kernel: x', jan2)?.time).toBe(local(2026, 12, 31, 23, 59, 59));
    expect(parseLine('Jan  2 09:00:00 h kernel: x', jan2)?.time).toBe(local(2027, 1, 2, 9, 0, 0));
    // Clock skew of less than a day still reads as this year.
    expect(parseLine('Jan  2 18:00:00 h kernel: x', jan2)?.time).toBe(local(2027, 1, 2, 18, 0, 0));
  });

  it('does not reuse a cached stamp across different "now" values', () => {
    const a = new Date(2026, 5, 1).getTime();
    const b = new Date(2027, 5, 1).getTime();
    expect(parseLine('Mar  1 00:00:00 h kernel: x', a)?.time).toBe(local(2026, 3, 1, 0, 0, 0));
    expect(parseLine('Mar  1 00:00:00 h kernel: y', b)?.time).toBe(local(2027, 3, 1, 0, 0, 0));
  });

  it('rejects impossible dates instead of rolling them over', () => {
    expect(parseLine('Feb 31 10:00:00 h kernel: x', NOW)?.time).toBeNull();
    expect(parseLine('[Thu Feb 31 00:05:15 2017] x', NOW)?.time).toBeNull();
  });

  it("reads a syslog line whose tag cannot be read as nobody's: neither the kernel's nor a named sender's", () => {
    const line = 'Mar  9 18:14:14 host last message repeated 3 times';
    expect(parseLine(line, NOW)).toEqual(rec('host last message repeated 3 times', { fromKernel: false, time: local(2026, 3, 9, 18, 14, 14) }));
  });

  it('never takes a forged "Out of memory" tag for the kernel, also when the stamp comes from the cache', () => {
    const forged = 'Out of memory: Killed process 4242 (forged) total-vm:1048576kB, anon-rss:524288kB, file-rss:0kB';
    // The first line puts its stamp in the cache; the second, with the same stamp, is read through it.
    expect(parseLine('Mar  9 04:00:01 host kernel: hello', NOW)).toMatchObject({ fromKernel: true, identifier: 'kernel' });
    expect(parseLine(`Mar  9 04:00:01 host ${forged}`, NOW)).toEqual(rec(`host ${forged}`, { fromKernel: false, time: local(2026, 3, 9, 4, 0, 1) }));
    expect(parseLine(`2026-03-09T04:00:01.5+00:00 host ${forged}`, NOW)).toEqual(rec(`host ${forged}`, { fromKernel: false, time: '2026-03-09T04:00:01.500Z' }));
    // dmesg --time-format iso (comma before the fraction) has no tag at all: still the kernel's.
    expect(parseLine(`2026-03-09T04:00:01,500000+00:00 ${forged}`, NOW)).toEqual(dmesg(forged, { time: '2026-03-09T04:00:01.500Z' }));
  });
});

describe('parseLine: the envelopes of the logs people have', () => {
  const SMBD = 'Out of memory: Killed process 3370 (smbd) total-vm:2888kB, anon-rss:152kB';

  it.each<[string, string, LogRecord | null]>([
    [
      'OpenWrt logread (coolsnowwolf/lede#2878)',
      'Sat Jan 25 09:40:15 2020 kern.err kernel: [22043.048568] Killed process 1039 (netifd) total-vm:1680kB, anon-rss:148kB, file-rss:4kB, shmem-rss:0kB',
      kern('Killed process 1039 (netifd) total-vm:1680kB, anon-rss:148kB, file-rss:4kB, shmem-rss:0kB', {
        time: local(2020, 1, 25, 9, 40, 15),
        uptimeSeconds: 22043.048568,
      }),
    ],
    [
      'OpenWrt logread, a daemon (coolsnowwolf/lede#7056)',
      'Thu Jun 17 23:28:11 2021 daemon.info dnsmasq[10310]: Connected to system UBus',
      rec('Connected to system UBus', { fromKernel: false, identifier: 'dnsmasq', time: local(2021, 6, 17, 23, 28, 11) }),
    ],
    [
      'logread, user facility under the tag "kernel"',
      `Thu Jun 17 23:28:11 2021 user.err kernel: ${SMBD}`,
      kern(SMBD, { fromKernel: false, time: local(2021, 6, 17, 23, 28, 11) }),
    ],
    ['BusyBox syslogd (syslogd.c format)', `Jun 17 23:28:05 router kern.err kernel: ${SMBD}`, kern(SMBD, { time: local(2026, 6, 17, 23, 28, 5) })],
    [
      'BusyBox syslogd, a host with dots',
      `Jun 17 23:28:05 ip-10-1-63-6.eu-west-1.compute.internal kern.warn kernel: ${SMBD}`,
      kern(SMBD, { time: local(2026, 6, 17, 23, 28, 5) }),
    ],
    [
      'remote RFC 3164 with <PRI> (rsyslog RSYSLOG_TraditionalForwardFormat, this machine)',
      '<3>Nov 30 15:46:13 vm kernel: Memory cgroup out of memory: Killed process 16401 (wt\\xf0\\x9f\\x98\\x80fix\\x5c 2) total-vm:426348kB',
      kern('Memory cgroup out of memory: Killed process 16401 (wt\\xf0\\x9f\\x98\\x80fix\\x5c 2) total-vm:426348kB', { time: local(2025, 11, 30, 15, 46, 13) }),
    ],
    ['remote RFC 3164, a space after <PRI> (BusyBox remote logging)', `<3> Jun 17 23:28:05 kernel: ${SMBD}`, kern(SMBD, { time: local(2026, 6, 17, 23, 28, 5) })],
    ['remote RFC 3164, user facility', `<14>Jun 17 23:28:05 host kernel: ${SMBD}`, kern(SMBD, { fromKernel: false, time: local(2026, 6, 17, 23, 28, 5) })],
    [
      'remote RFC 5424 (rsyslog RSYSLOG_SyslogProtocol23Format, this machine)',
      '<3>1 2026-11-30T15:46:13.338013+00:00 vm kernel - - - Memory cgroup out of memory: Killed process 16401 (wt\\x5c 2) total-vm:426348kB',
      kern('Memory cgroup out of memory: Killed process 16401 (wt\\x5c 2) total-vm:426348kB', { time: '2026-11-30T15:46:13.338Z' }),
    ],
    [
      'RFC 5424 with structured data and a BOM (RFC 5424 6.5)',
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App]lication"] \ufeffAn application event',
      rec('An application event', { fromKernel: false, identifier: 'evntslog', time: '2003-10-11T22:14:15.003Z' }),
    ],
    ['RFC 5424 without its PRI', `1 2021-06-17T23:28:05Z router kernel - - - ${SMBD}`, kern(SMBD, { time: '2021-06-17T23:28:05.000Z' })],
    [
      'RFC 5424, kernel message with imklog [uptime]',
      `<3>1 2021-06-17T23:28:05Z router kernel - - - [   58.430534] ${SMBD}`,
      kern(SMBD, { time: '2021-06-17T23:28:05.000Z', uptimeSeconds: 58.430534 }),
    ],
    ['journalctl -o short-full, UTC (this machine)', `Mon 2026-11-30 15:37:46 UTC vm kernel: ${SMBD}`, kern(SMBD, { time: '2026-11-30T15:37:46.000Z' })],
    ['journalctl -o short-full, numeric zone', `Mon 2026-11-30 15:37:46 +03 vm kernel: ${SMBD}`, kern(SMBD, { time: '2026-11-30T12:37:46.000Z' })],
    [
      'journalctl -o short-full, zone abbreviation read as local time',
      `Mon 2026-11-30 15:37:46 CEST vm kernel: ${SMBD}`,
      kern(SMBD, { time: local(2026, 11, 30, 15, 37, 46) }),
    ],
    // journald decoded the kernel's escapes: none left.
    ['journalctl -o short-monotonic (this machine)', `[ 8518.299336] vm kernel: ${SMBD}`, rec(SMBD, { identifier: 'kernel', uptimeSeconds: 8518.299336 })],
    [
      'journalctl -o short-monotonic --no-hostname (systemd/systemd PR #42321)',
      '[   77.749670] systemd-oomd[659]: Marked /system.slice/systemd-journald.service for killing',
      rec('Marked /system.slice/systemd-journald.service for killing', { fromKernel: false, identifier: 'systemd-oomd', uptimeSeconds: 77.74967 }),
    ],
    [
      'dmesg, a kernel subsystem prefix is no tag',
      '[  514.686093] usb 1-1: new high-speed USB device',
      dmesg('usb 1-1: new high-speed USB device', { uptimeSeconds: 514.686093 }),
    ],
    ['dmesg, "CPU: " is no tag', '[ 8518.299102] CPU: 1 UID: 0 PID: 17244 Comm: wt', dmesg('CPU: 1 UID: 0 PID: 17244 Comm: wt', { uptimeSeconds: 8518.299102 })],
    [
      'dmesg -r, user facility: a tag there is what a process wrote into /dev/kmsg',
      '<14>[   12.5] earlyoom[1]: hello',
      dmesg('earlyoom[1]: hello', { fromKernel: false, uptimeSeconds: 12.5 }),
    ],
    ['journalctl -o short-unix (this machine)', `1796053066.021568 vm kernel: ${SMBD}`, kern(SMBD, { time: '2026-11-30T15:37:46.021Z' })],
    ['dmesg --json "msg", read alone', `         "msg": ${JSON.stringify(SMBD)}`, rec(SMBD)],
    ['dmesg --json, its other lines', '         "time":  8518.299089,', null],
    ['dmesg --json, its punctuation', '      },{', null],
    ['dmesg --json, its array', '   "dmesg": [', null],
    ['"> " quote', `> [   58.430534] ${SMBD}`, dmesg(SMBD, { uptimeSeconds: 58.430534 })],
    ['nested quotes', `> > Jun 17 23:28:05 router kernel: ${SMBD}`, kern(SMBD, { time: local(2026, 6, 17, 23, 28, 5) })],
    ['indented with a tab', `\t[   58.430534] ${SMBD}`, dmesg(SMBD, { uptimeSeconds: 58.430534 })],
    ['a code fence', '```', null],
    ['a code fence with its language', '```console', null],
    ['a tilde fence', '~~~', null],
    ['a log line between ``` marks (chat)', `\`\`\`[   58.430534] ${SMBD}\`\`\``, dmesg(SMBD, { uptimeSeconds: 58.430534 })],
    ['a line number (equinor/ert#9320)', `  1 [57539.949044] ${SMBD}`, dmesg(SMBD, { uptimeSeconds: 57539.949044 })],
    ['cat -n', `     7\tJun 17 23:28:05 router kernel: ${SMBD}`, kern(SMBD, { time: local(2026, 6, 17, 23, 28, 5) })],
    ['grep -n, a match', `12:[   58.430534] ${SMBD}`, dmesg(SMBD, { uptimeSeconds: 58.430534 })],
    ['grep -n, a context line', '11-[   58.429969] oom-kill:constraint=CONSTRAINT_NONE', dmesg('oom-kill:constraint=CONSTRAINT_NONE', { uptimeSeconds: 58.429969 })],
    ['a line starting with a number that is no line number', '204 total pagecache pages', rec('204 total pagecache pages')],
    ['grep separator', '--', rec('--')],
    ['journalctl boot line', '-- Boot 7e9bd54bd2f84f0cbd12b76dab7bb9f8 --', rec('--')],
    ['not a separator', '--foo', rec('--foo')],
  ])('%s', (_name, line, expected) => {
    expect(parseLine(line, NOW)).toEqual(expected);
  });
});

describe('createLineReader: dmesg --json, one field a line', () => {
  const lines = (...fields: string[]) => ['{', '   "dmesg": [', '      {', ...fields.map((f) => `         ${f}`), '      }', '   ]', '}'];
  const read = (ls: string[]) => {
    const reader = createLineReader(NOW);
    return ls.map((l) => reader(l)).filter((r) => r !== null);
  };

  it.each<[string, string[], Partial<LogRecord>]>([
    ['pri and time (this machine)', ['"pri": 3,', '"time":  8518.299336,', '"msg": "x"'], { uptimeSeconds: 8518.299336 }],
    ['-x: fac kern', ['"fac": "kern",', '"pri": "err",', '"time":  1.5,', '"msg": "x"'], { uptimeSeconds: 1.5 }],
    ['-x: fac user', ['"fac": "user",', '"pri": "info",', '"time":  1.5,', '"msg": "x"'], { fromKernel: false, uptimeSeconds: 1.5 }],
    ['pri of the user facility (util-linux 2.39+)', ['"pri": 14,', '"time":  1.5,', '"msg": "x"'], { fromKernel: false, uptimeSeconds: 1.5 }],
    ['caller id', ['"pri": 6,', '"time":  1.5,', '"caller": "T17244",', '"msg": "x"'], { uptimeSeconds: 1.5 }],
    ['JSON escapes', ['"pri": 6,', '"time":  1.5,', '"msg": "a\\nb \\"q\\" \\\\ \\u001b"'], { message: 'a\nb "q" \\ \u001b', uptimeSeconds: 1.5 }],
  ])('%s', (_name, fields, expected) => {
    expect(read(lines(...fields))).toEqual([rec('x', expected)]);
  });

  it("does not lend one record's fields to the next", () => {
    const two = [
      '{',
      '   "dmesg": [',
      '      {',
      '         "pri": 14,',
      '         "time":  1.5,',
      '         "msg": "a"',
      '      },{',
      '         "msg": "b"',
      '      }',
      '   ]',
      '}',
    ];
    expect(read(two)).toEqual([rec('a', { fromKernel: false, uptimeSeconds: 1.5 }), rec('b')]);
  });
});

describe('escaped bytes: left in the message with their kind, decoded by the parser in the names it takes', () => {
  /** The comm of the one kill in this line, through parseLine and the parser. */
  const commOf = (line: string): string | null | undefined => {
    const p = createOomParser();
    const rec = parseLine(line, NOW);
    return [rec === null ? null : p.push(rec), ...p.flush()].find((k) => k !== null)?.comm;
  };

  it("rsyslog's imkmsg keeps the kernel's \\xNN (this machine)", () => {
    const line = 'Nov 30 15:46:13 vm kernel: Killed process 16401 (wt\\xf0\\x9f\\x98\\x80fix\\x5c 2) total-vm:1kB';
    expect(parseLine(line, NOW)?.escapes).toBe('kmsg');
    expect(commOf(line)).toBe('wt😀fix\\ 2');
  });

  it("rsyslog's imklog (the kernel's [uptime] kept) writes raw bytes and #NNN for control characters: those decoded, a backslash kept", () => {
    const line = 'Mar  9 18:14:14 host kernel: [ 1298.497674] Killed process 1 (a#011b\\x41) total-vm:1kB';
    expect(parseLine(line, NOW)?.escapes).toBe('rsyslog');
    expect(commOf(line)).toBe('a\tb\\x41');
  });

  it.each([
    ['#011', '\t'],
    ['#000#037', '\u0000\u001f'],
    // Not control characters: an Ubuntu build number, digits that are no octal byte, a "#0" at the end.
    ['#177-Ubuntu', '#177-Ubuntu'],
    ['#040 #089 #0', '#040 #089 #0'],
  ])('rsyslog #NNN: %j', (text, decoded) => {
    expect(unescapeRsyslog(text)).toBe(decoded);
  });

  it('dmesg prints what is not printable as \\xNN', () => {
    const line = '[ 1298.497674] Killed process 1 (inv\\xff\\xfeX) total-vm:1kB';
    expect(parseLine(line, NOW)?.escapes).toBe('kmsg');
    expect(commOf(line)).toBe('inv\ufffd\ufffdX');
  });

  it('journald decoded them already (journalctl short-monotonic, -o json): nothing left to decode', () => {
    expect(parseLine('[ 1.000000] vm kernel: Killed process 1 (a\\x41) total-vm:1kB', NOW)?.escapes).toBeUndefined();
    expect(commOf('[ 1.000000] vm kernel: Killed process 1 (a\\x41) total-vm:1kB')).toBe('a\\x41');
  });

  it('invalid UTF-8 becomes U+FFFD, one per maximal invalid subsequence, from a kmsg record and a syslog file alike', () => {
    // The first 15 bytes of "aaaaaaaaaaaaa😀", cut by the kernel's COMM: F0 9F is one subsequence.
    const kmsg = commOf('3,1,1,-;Killed process 1 (aaaaaaaaaaaaa\\xf0\\x9f) total-vm:1kB');
    expect(kmsg).toBe('aaaaaaaaaaaaa\ufffd');
    expect(commOf('Nov 30 15:46:13 vm kernel: Killed process 1 (aaaaaaaaaaaaa\\xf0\\x9f) total-vm:1kB')).toBe(kmsg);
  });
});

/**
 * Every form at its edges: what each envelope takes and what it leaves to the next (read at NOW_UTC, in
 * UTC+05:30 as the suite runs). A line no form takes is bare kernel text; a line of a daemon whose tag cannot be
 * read is nobody's.
 */
describe('parseLine: every form at its edges', () => {
  const NOW_UTC = Date.UTC(2026, 10, 27, 12, 0, 0);
  it.each<[string, LogRecord | null]>([
    // Line endings, fences, indentation, quotes, line numbers, JSON punctuation and separators.
    ['\r', null],
    ['```', null],
    ['  ```', null],
    ['abc ```', { message: 'abc', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['abc``', { message: 'abc``', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['Z', { message: 'Z', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['z', { message: 'z', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['@x', { message: '@x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['{', null],
    ['[0.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 0.5, escapes: 'kmsg' }],
    [
      'Nov 27 10:00:00 host kernel: [ 12.5] x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: 12.5, escapes: 'rsyslog' },
    ],
    ['Nov 27 10:00:00 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    [
      '  Nov 27 10:00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [' \t ', null],
    [' FOO=bar', null],
    [' Foo=bar', { message: 'Foo=bar', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['  foo=bar', { message: 'foo=bar', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['>', null],
    ['> > [ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['>x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['``x', { message: '``x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['```console', null],
    [
      '```Nov 27 10:00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['~~~', null],
    ['~~~ [ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['12 [ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['12\t[ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    [
      '12:Nov 27 10:00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '12-2026-11-27T10:00:00+00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['12 @', { message: '12 @', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['12345678 [ 1.5] x', { message: '12345678 [ 1.5] x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['"x', { message: '"x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['"msg": "hello",', { message: 'hello', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['"k" : 1', { message: '"k" : 1', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['}', null],
    [']', null],
    ['},{', null],
    ['} x', { message: '} x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['--', { message: '--', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['-- Boot 0a1b --', { message: '--', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['--x', { message: '--x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['-- Reboot', { message: '-- Reboot', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['- x', { message: '- x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    // Uptime stamps and the other dmesg forms; short-monotonic tags; <PRI>; RFC 5424; dmesg -x.
    ['[ 1.5 <    0.000003>] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5 <0.1] x', { message: '[ 1.5 <0.1] x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[1234567890.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1234567890.5, escapes: 'kmsg' }],
    ['[12345678901.5] x', { message: '[12345678901.5] x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[ 1.] x', { message: '[ 1.] x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[ .5] x', { message: '[ .5] x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[ 1.1234567891] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['[ 1.123456789] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.123456789, escapes: 'kmsg' }],
    ['[ 1.5]x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5 x', { message: '[ 1.5 x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[  +0.000123] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['[+0.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['[ -1.5] y', { message: 'y', fromKernel: true, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['[ x] y', { message: '[ x] y', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[Fri Nov 27 10:00:00 2026] x', { message: 'x', fromKernel: true, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['[Fri Nov  7 10:00:00 2026] x', { message: 'x', fromKernel: true, identifier: null, time: '2026-11-07T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['[Fri Xyz 27 10:00:00 2026] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['[Fri Nov 27 10:00:00 2026]x', { message: 'x', fromKernel: true, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['[Fri Feb 30 10:00:00 2026] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['[Nov 27 10:00] x', { message: 'x', fromKernel: true, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['[Nov  7 10:00] x', { message: 'x', fromKernel: true, identifier: null, time: '2026-11-07T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['[Xyz 27 10:00] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['[Nov 27 10:00]x', { message: 'x', fromKernel: true, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['[ 1.5] host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: null, uptimeSeconds: 1.5 }],
    ['[ 1.5] kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: null, uptimeSeconds: 1.5 }],
    ['[ 1.5] host app[12]: x', { message: 'x', fromKernel: false, identifier: 'app', time: null, uptimeSeconds: 1.5 }],
    ['[ 1.5] app[12]: x', { message: 'x', fromKernel: false, identifier: 'app', time: null, uptimeSeconds: 1.5 }],
    ['[ 1.5] host app: x', { message: 'host app: x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] usb 1-1: x', { message: 'usb 1-1: x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] host kernelx: y', { message: 'host kernelx: y', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] a b', { message: 'a b', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] host app[1x]: y', { message: 'host app[1x]: y', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] host [12]: y', { message: 'host [12]: y', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['<6>[ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['<14>[ 1.5] x', { message: 'x', fromKernel: false, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    [
      '<6>Nov 27 10:00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '<6> Nov 27 10:00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '<14>Nov 27 10:00:00 host kernel: x',
      { message: 'x', fromKernel: false, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['<192>x', { message: '<192>x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['<191>x', { message: 'x', fromKernel: false, identifier: null, time: null, uptimeSeconds: null }],
    ['<1x>x', { message: '<1x>x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['<>x', { message: '<>x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['<12345>x', { message: '<12345>x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    [
      '<6>1 2026-11-27T10:00:00Z host kernel - - - x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '<14>1 2026-11-27T10:00:00Z host kernel - - - x',
      { message: 'x', fromKernel: false, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '<6>2026-11-27T10:00:00+00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['<6>[x', { message: '[x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['<13>just text', { message: 'just text', fromKernel: false, identifier: null, time: null, uptimeSeconds: null }],
    ['<6>just text', { message: 'just text', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    [
      '<6>Fri Nov 27 10:00:00 2026 kern.err kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '1 2026-11-27T10:00:00Z host kernel - - - msg',
      { message: 'msg', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['1 2026-11-27T10:00:00Z host app 12 - - msg', { message: 'msg', fromKernel: false, identifier: 'app', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null }],
    [
      '1 2026-11-27T10:00:00Z host app 12 - [x a="b"] msg',
      { message: 'msg', fromKernel: false, identifier: 'app', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null },
    ],
    [
      '1 2026-11-27T10:00:00Z host app 12 - [x a="b\\"]c"] msg',
      { message: 'msg', fromKernel: false, identifier: 'app', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null },
    ],
    ['1 2026-11-27T10:00:00Z host app 12 - [a][b] msg', { message: 'msg', fromKernel: false, identifier: 'app', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null }],
    [
      '1 2026-11-27T10:00:00Z host app 12 - [a',
      { message: 'host app 12 - [a', fromKernel: false, identifier: null, time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null },
    ],
    ['1 - host app 12 - - msg', { message: 'msg', fromKernel: false, identifier: 'app', time: null, uptimeSeconds: null }],
    ['1 2026-11-27T10:00:00Z host - 12 - - msg', { message: 'msg', fromKernel: false, identifier: null, time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null }],
    ['1 2026-11-27T10:00:00Z host app 12 - - \ufeffmsg', { message: 'msg', fromKernel: false, identifier: 'app', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null }],
    ['1 2026-11-27T10:00:00Z host app 12 -', { message: 'host app 12 -', fromKernel: false, identifier: null, time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null }],
    [
      '1 2026-11-27T10:00:00Z host app 12 - -x',
      { message: 'host app 12 - -x', fromKernel: false, identifier: null, time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null },
    ],
    [
      '1  2026-11-27T10:00:00Z host app 12 - - msg',
      { message: 'host app 12 - - msg', fromKernel: false, identifier: null, time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null },
    ],
    ['1 notatime host app 12 - - msg', { message: '1 notatime host app 12 - - msg', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['1 2026-11-27T10:00:00Z host app', { message: 'host app', fromKernel: false, identifier: null, time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null }],
    [
      '1 2026-11-27T10:00:00Z host app 12 - x msg',
      { message: 'host app 12 - x msg', fromKernel: false, identifier: null, time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null },
    ],
    [
      '1 2026-11-27T10:00:00Z host kernel - - - [ 1.5] msg',
      { message: 'msg', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: 1.5, escapes: 'rsyslog' },
    ],
    ['kern  :err   : [ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['user  :info  : [ 1.5] x', { message: 'x', fromKernel: false, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['kern  :warn  : x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['local7:debug : x', { message: 'x', fromKernel: false, identifier: null, time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['daemon:notice: [Nov 27 10:00] x', { message: 'x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['kern:bogus: x', { message: 'kern:bogus: x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    // ISO 8601, RFC 3164 with and without sub-seconds, logread and short-full, tags and facilities, short-unix.
    [
      '2026-11-27T10:00:00Z host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '2026-11-27T10:00:00.5Z host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.500Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '2026-11-27T10:00:00.123456+0100 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T09:00:00.123Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '2026-11-27T10:00:00+0100 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T09:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '2026-11-27T10:00:00-01:30 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T11:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '2026-11-27T10:00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['2026-11-27T10:00:00,123456+00:00 x', { message: 'x', fromKernel: true, identifier: null, time: '2026-11-27T10:00:00.123Z', uptimeSeconds: null, escapes: 'kmsg' }],
    [
      '2026-11-27T10:00:00,1+00:00 [ 1.5] x',
      { message: '[ 1.5] x', fromKernel: true, identifier: null, time: '2026-11-27T10:00:00.100Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['2026-13-45T10:00:00Z host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['2026-11-27T10:00Z x', { message: '2026-11-27T10:00Z x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['2026-11-27T10:00:00Zhost kernel: x', { message: '2026-11-27T10:00:00Zhost kernel: x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['Nov  7 10:00:00 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-07T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    [
      'Nov 27 10:00:00.123456 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.123Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Nov 27 10:00:00.5 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.500Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['Foo 27 10:00:00 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['Dec 27 10:00:00 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: '2025-12-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['Nov 28 11:59:59 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-28T06:29:59.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['Nov 28 12:00:01 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-28T06:30:01.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['Feb 30 10:00:00 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    ['Nov 27 25:00:00 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    [
      'Fri Nov 27 10:00:00 2026 kern.err kernel: [ 1.5] x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: 1.5, escapes: 'rsyslog' },
    ],
    ['Fri Nov 27 10:00:00 2026 daemon.info app[5]: x', { message: 'x', fromKernel: false, identifier: 'app', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    [
      'Fri Nov  7 10:00:00 2026 kern.err kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-07T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['Fri Xyz 27 10:00:00 2026 kern.err kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: null, uptimeSeconds: null, escapes: 'kmsg' }],
    [
      'Fri 2026-11-27 10:00:00 UTC host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Fri 2026-11-27 10:00:00 GMT host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Fri 2026-11-27 10:00:00 Z host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Fri 2026-11-27 10:00:00 +03 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T07:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Fri 2026-11-27 10:00:00 -0130 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T11:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Fri 2026-11-27 10:00:00 +05:30 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Fri 2026-11-27 10:00:00.250 UTC host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.250Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Fri 2026-11-27 10:00:00 CEST host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Fri 2026-11-27 10:00:00 +3 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'fri 2026-11-27 10:00:00 UTC host kernel: x',
      { message: 'fri 2026-11-27 10:00:00 UTC host kernel: x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null },
    ],
    [
      'Nov 27 10:00:00 host kern.err kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Nov 27 10:00:00 kern.err kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Nov 27 10:00:00 host user.info kernel: x',
      { message: 'x', fromKernel: false, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['Nov 27 10:00:00 host local7.info app[5]: x', { message: 'x', fromKernel: false, identifier: 'app', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    [
      'Nov 27 10:00:00 host local8.info app[5]: x',
      { message: 'host local8.info app[5]: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null },
    ],
    [
      'Nov 27 10:00:00 host foo.bar kernel: x',
      { message: 'host foo.bar kernel: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null },
    ],
    [
      'Nov 27 10:00:00 host kern.bogus kernel: x',
      { message: 'host kern.bogus kernel: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null },
    ],
    [
      'Nov 27 10:00:00 host kern. kernel: x',
      { message: 'host kern. kernel: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null },
    ],
    ['Nov 27 10:00:00 host app[12x]: x', { message: 'host app[12x]: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host [12]: x', { message: 'host [12]: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host a[12]: x', { message: 'x', fromKernel: false, identifier: 'a', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host a:b: x', { message: 'host a:b: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host a]b: x', { message: 'host a]b: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host : x', { message: 'host : x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host kernel:', { message: '', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['Nov 27 10:00:00 kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['Nov 27 10:00:00 host', { message: 'host', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host kern.err', { message: 'host kern.err', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    [
      'Nov 27 10:00:00 host kern.err kernel',
      { message: 'host kern.err kernel', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null },
    ],
    ['Nov 27 10:00:00 host kern.err :', { message: 'host kern.err :', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    [
      'Nov 27 10:00:00 ftp.err kernel: x',
      { message: 'x', fromKernel: false, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['Nov 27 10:00:00 a.err kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['Nov 27 10:00:00 host earlyoom: x', { message: 'x', fromKernel: false, identifier: 'earlyoom', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host earlyoom[]: x', { message: 'x', fromKernel: false, identifier: 'earlyoom', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    [
      '1714395341.679700 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2024-04-29T12:55:41.679Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['1714395341.5 host earlyoom[3]: x', { message: 'x', fromKernel: false, identifier: 'earlyoom', time: '2024-04-29T12:55:41.500Z', uptimeSeconds: null }],
    ['1714395341.679700 host x', { message: 'host x', fromKernel: false, identifier: null, time: '2024-04-29T12:55:41.679Z', uptimeSeconds: null }],
    ['99999999999.5 host kernel: x', { message: 'x', fromKernel: true, identifier: 'kernel', time: '5138-11-16T09:46:39.500Z', uptimeSeconds: null, escapes: 'kmsg' }],
    ['12345678.5 host kernel: x', { message: '12345678.5 host kernel: x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    // More edges: the first character of each form at its bounds, tags next to "kernel", a JSON member without a value.
    ['0,1,2,-;x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 0.000002 }],
    ['x\r', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['abc ```\r', { message: 'abc', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['9 [ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['0 [ 1.5] x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    [
      '12 2026-11-27T10:00:00Z host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['12 0x', { message: '12 0x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    [
      '12 Apr  1 10:00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-04-01T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '12 avril  1 10:00:00 host kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-04-01T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      '12 Fri Nov 27 10:00:00 2026 kern.err kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['12 foo', { message: '12 foo', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    [
      'Nov 27 10:00:00 host kernel: (1.5] y',
      { message: '(1.5] y', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['[ 1a.5] x', { message: '[ 1a.5] x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[ 15] x', { message: '[ 15] x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[ 15x] x', { message: '[ 15x] x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[ 1.5 x] y', { message: '[ 1.5 x] y', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[ 1.5<0.1>] y', { message: '[ 1.5<0.1>] y', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['[ 1.5] kernel:', { message: 'kernel:', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] host kernel:', { message: 'host kernel:', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] abc', { message: 'abc', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['[ 1.5] host abcdef: x', { message: 'host abcdef: x', fromKernel: true, identifier: null, time: null, uptimeSeconds: 1.5, escapes: 'kmsg' }],
    ['</>x', { message: '</>x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['<0>x', { message: 'x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    [
      '<6>2 2026-11-27T10:00:00Z host kernel - - - x',
      { message: '2 2026-11-27T10:00:00Z host kernel - - - x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null },
    ],
    [
      '<6>1-2026-11-27T10:00:00Z host kernel - - - x',
      { message: '1-2026-11-27T10:00:00Z host kernel - - - x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null },
    ],
    ['<6>1 2026-11-27T10:00:00Z host kernel', { message: '1 2026-11-27T10:00:00Z host kernel', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    [
      '<6>1 2026-11-27T10:00:00Z  host kernel - - - x',
      { message: '1 2026-11-27T10:00:00Z  host kernel - - - x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null },
    ],
    [
      '<6>1 2026-11-27T10:00:00Z host app 12 - x msg',
      { message: '1 2026-11-27T10:00:00Z host app 12 - x msg', fromKernel: true, identifier: null, time: null, uptimeSeconds: null },
    ],
    [
      '<6>1 2026-11-27T10:00:00Z host app 12 - [a',
      { message: '1 2026-11-27T10:00:00Z host app 12 - [a', fromKernel: true, identifier: null, time: null, uptimeSeconds: null },
    ],
    [
      '<6>1 2026-11-27T10:00:00Z host app 12 - [a]x',
      { message: '1 2026-11-27T10:00:00Z host app 12 - [a]x', fromKernel: true, identifier: null, time: null, uptimeSeconds: null },
    ],
    ['<6>1 2026-11-27T10:00:00Z host app 12 - [a]', { message: '', fromKernel: false, identifier: 'app', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: null }],
    [
      '<6>1 2026-11-27T10:00:00Z host kernel - - - [ 2.5] m',
      { message: 'm', fromKernel: true, identifier: 'kernel', time: '2026-11-27T10:00:00.000Z', uptimeSeconds: 2.5, escapes: 'rsyslog' },
    ],
    ['"abc', { message: '"abc', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['"": 1', null],
    ['"x": notjson', { message: '"x": notjson', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    ['"dmesg": [', null],
    ['"x": {', null],
    ['"msg": 5', null],
    ['"msg": "a"', { message: 'a', fromKernel: true, identifier: null, time: null, uptimeSeconds: null }],
    [
      'Nov 27 10:00:00 host xlocal7.info app[5]: x',
      { message: 'host xlocal7.info app[5]: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null },
    ],
    [
      'Nov 27 10:00:00 host local77.info app[5]: x',
      { message: 'host local77.info app[5]: x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null },
    ],
    ['Nov 27 10:00:00 :', { message: ':', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 a:', { message: '', fromKernel: false, identifier: 'a', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host a:', { message: '', fromKernel: false, identifier: 'a', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 h kern.err k:', { message: '', fromKernel: false, identifier: 'k', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    [
      'Nov 27 10:00:00 host kern.err kernel:',
      { message: '', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    [
      'Nov 27 10:00:00 hostname kern.err kernel: x',
      { message: 'x', fromKernel: true, identifier: 'kernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null, escapes: 'kmsg' },
    ],
    ['Nov 27 10:00:00 kernel:x', { message: 'kernel:x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host kernel:x', { message: 'host kernel:x', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host kernelx: y', { message: 'y', fromKernel: false, identifier: 'kernelx', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host xkernel: y', { message: 'y', fromKernel: false, identifier: 'xkernel', time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host app]: y', { message: 'host app]: y', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host a[1]b: y', { message: 'host a[1]b: y', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
    ['Nov 27 10:00:00 host [1]: y', { message: 'host [1]: y', fromKernel: false, identifier: null, time: '2026-11-27T04:30:00.000Z', uptimeSeconds: null }],
  ])('%j', (line, expected) => {
    expect(parseLine(line, NOW_UTC)).toEqual(expected);
  });
});

describe('parseLine: every month name and every facility it knows', () => {
  const NOW_UTC = Date.UTC(2026, 10, 27, 12, 0, 0);
  // %b of the locales whose logs show up in bug reports (envelope.ts), as their C libraries print it.
  const LOCALES: [string, string[]][] = [
    ['English', ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']],
    ['Russian (genitive)', ['янв', 'фев', 'мар', 'апр', 'мая', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек']],
    ['Russian (nominative)', ['янв', 'фев', 'мар', 'апр', 'май', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек']],
    ['French', ['janv.', 'févr.', 'mars', 'avril', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.']],
    ['German', ['Jan', 'Feb', 'Mär', 'Apr', 'Mai', 'Jun', 'Jul', 'Aug', 'Sep', 'Okt', 'Nov', 'Dez']],
    ['Spanish', ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sep', 'oct', 'nov', 'dic']],
    ['Italian', ['gen', 'feb', 'mar', 'apr', 'mag', 'giu', 'lug', 'ago', 'set', 'ott', 'nov', 'dic']],
    ['Portuguese', ['jan', 'fev', 'mar', 'abr', 'mai', 'jun', 'jul', 'ago', 'set', 'out', 'nov', 'dez']],
    ['Polish', ['sty', 'lut', 'mar', 'kwi', 'maj', 'cze', 'lip', 'sie', 'wrz', 'paź', 'lis', 'gru']],
    ['Chinese, Japanese', ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月']],
  ];

  it.each(LOCALES)('%s', (locale, months) => {
    months.forEach((name, month) => {
      // The 1st of each month at 10:00, of this year (January to November) or the last (December).
      const year = month === 11 ? 2025 : 2026;
      const line = `${name}  1 10:00:00 host kernel: x`;
      expect(parseLine(line, NOW_UTC)?.time, line).toBe(new Date(year, month, 1, 10).toISOString());
      // Other locales' names in any case (some C libraries capitalise); English ones as %b prints them.
      if (locale !== 'English')
        expect(parseLine(`${name.toUpperCase()}  1 10:00:01 host kernel: x`, NOW_UTC)?.time, name.toUpperCase()).toBe(new Date(year, month, 1, 10, 0, 1).toISOString());
    });
  });

  it('the English months of dmesg -T, dmesg --time-format=reltime and logread', () => {
    (LOCALES[0]?.[1] ?? []).forEach((name, month) => {
      const at = new Date(2026, month, 2, 10).toISOString();
      expect(parseLine(`[Mon ${name}  2 10:00:00 2026] x`, NOW_UTC)?.time, name).toBe(at);
      expect(parseLine(`Mon ${name}  2 10:00:00 2026 kern.err kernel: x`, NOW_UTC)?.time, name).toBe(at);
      expect(parseLine(`[${name}  2 10:00] x`, NOW_UTC)?.time, name).toBe(new Date(month === 11 ? 2025 : 2026, month, 2, 10).toISOString());
    });
  });

  it.each(['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'local0', 'local7'])(
    'BusyBox syslogd facility %s, at every level',
    (facility) => {
      for (const level of ['emerg', 'panic', 'alert', 'crit', 'err', 'error', 'warn', 'warning', 'notice', 'info', 'debug']) {
        const r = parseLine(`Nov 27 10:00:00 host ${facility}.${level} kernel: x`, NOW_UTC);
        expect(r, `${facility}.${level}`).toMatchObject({ identifier: 'kernel', fromKernel: facility === 'kern', message: 'x' });
      }
    },
  );
});

describe('parseLine: consecutive lines', () => {
  const NOW_UTC = Date.UTC(2026, 10, 27, 12, 0, 0);
  it('gives each line its own stamp, whether it shares the last one or not', () => {
    const lines = [
      'Nov 27 10:00:00 host kernel: a',
      'Nov 27 10:00:00 host app[1]: b',
      'Nov 27 10:00:01 host kernel: c',
      'Nov 27 10:00:01.5 host kernel: d',
      'Nov 27 10:00:01.7 host kernel: e',
      'Nov 27 10:00:01 other kernel: f',
      '2026-11-27T10:00:02Z host kernel: g',
      '2026-11-27T10:00:02Z host kernel: h',
      '2026-11-27T10:00:03+01:00 host kernel: i',
      // A line that ends with the last stamp's text does not start with it.
      'Nov 27 10:00:05 host kernel: j',
      'Nov 27 10:00:06 host kernel: k at Nov 27 10:00:05 ',
    ];
    expect(lines.map((l) => parseLine(l, NOW_UTC)?.time)).toEqual([
      // Local time, UTC+05:30 as the suite runs; the ISO stamps with their own zones.
      '2026-11-27T04:30:00.000Z',
      '2026-11-27T04:30:00.000Z',
      '2026-11-27T04:30:01.000Z',
      '2026-11-27T04:30:01.500Z',
      '2026-11-27T04:30:01.700Z',
      '2026-11-27T04:30:01.000Z',
      '2026-11-27T10:00:02.000Z',
      '2026-11-27T10:00:02.000Z',
      '2026-11-27T09:00:03.000Z',
      '2026-11-27T04:30:05.000Z',
      '2026-11-27T04:30:06.000Z',
    ]);
    expect(lines.map((l) => parseLine(l, NOW_UTC)?.identifier)).toEqual([
      'kernel',
      'app',
      'kernel',
      'kernel',
      'kernel',
      'kernel',
      'kernel',
      'kernel',
      'kernel',
      'kernel',
      'kernel',
    ]);
  });
});

describe('createLineReader: the fields dmesg --json gives a record', () => {
  const read = (lines: string[]): (LogRecord | null)[] => {
    const reader = createLineReader(Date.UTC(2026, 10, 27, 12));
    return lines.map((l) => reader(l));
  };
  const msg = (fields: string[]): LogRecord | null => read(['{', ...fields, '   "msg": "m"', '}']).at(-2) ?? null;

  it('the kernel\'s by "fac", else by a "pri" below 8; its uptime from "time"', () => {
    expect(msg(['   "pri": 7,', '   "time": 1.5,'])).toMatchObject({ fromKernel: true, uptimeSeconds: 1.5 });
    expect(msg(['   "pri": 8,'])).toMatchObject({ fromKernel: false, uptimeSeconds: null });
    expect(msg(['   "fac": "kern",', '   "pri": 14,'])).toMatchObject({ fromKernel: true });
    expect(msg(['   "fac": "user",', '   "pri": 0,'])).toMatchObject({ fromKernel: false });
    expect(msg([])).toMatchObject({ fromKernel: true, uptimeSeconds: null });
  });

  it('takes a field only with its own type', () => {
    expect(msg(['   "pri": "14",', '   "fac": 1,', '   "time": "1.5",'])).toMatchObject({ fromKernel: true, uptimeSeconds: null });
    expect(msg(['   "other": 14,', '   "times": 2,'])).toMatchObject({ fromKernel: true, uptimeSeconds: null });
  });

  it('reads a "msg" line that comes first, before any "{" (a pasted fragment), as the kernel\'s', () => {
    expect(createLineReader(Date.UTC(2026, 10, 27, 12))('   "msg": "m"')).toEqual(rec('m'));
  });

  it('forgets the fields of the record before, also at a "}" or a "{"', () => {
    expect(read(['   "pri": 14,', '},{', '   "msg": "a"']).at(-1)).toMatchObject({ fromKernel: true });
    expect(read(['   "pri": 14,', '{', '   "msg": "a"']).at(-1)).toMatchObject({ fromKernel: true });
    expect(read(['   "time": 3,', '   "msg": "a"', '   "msg": "b"']).map((r) => r?.uptimeSeconds)).toEqual([undefined, 3, null]);
  });
});

/**
 * Each form is read where it starts the line (after the indentation, quotes, fences and line numbers taken
 * off first), never found further in: a line that only holds a form after some other prefix (a
 * `kubectl logs --prefix` pod name, a pdsh host, a Markdown list marker) is text, whole.
 */
describe('parseLine: a form counts at the start of the line only', () => {
  const NOW_UTC = Date.UTC(2026, 10, 27, 12, 0, 0);
  const text = (message: string): LogRecord => rec(message);
  it.each<[string, string, LogRecord | null]>([
    [
      'an indented line holding "KEY=" is no kmsg continuation line',
      '    [    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.8.0-45-generic root=UUID=4f2c ro quiet splash',
      dmesg('Command line: BOOT_IMAGE=/boot/vmlinuz-6.8.0-45-generic root=UUID=4f2c ro quiet splash', { uptimeSeconds: 0 }),
    ],
    ['dmesg -e, a delta of ten seconds or more', '[ +12.004185] oom_reaper: reaped process 1039 (netifd)', dmesg('oom_reaper: reaped process 1039 (netifd)')],
    // The kernel prints empty lines; an editor strips the blank after the stamp (logread-lede2878.txt has one).
    ['dmesg -e, an empty message without its blank', '[  +0.000003]', dmesg('')],
    [
      'a systemd status line holding a dmesg -e stamp',
      '[  OK  ] Started Session c1 of User root [  +0.000214]',
      text('[  OK  ] Started Session c1 of User root [  +0.000214]'),
    ],
    [
      'kubectl logs --prefix, dmesg -e',
      '[pod/debug-node-7x2k/debugger] [Nov 27 10:00] Out of memory: Killed process 3370 (smbd)',
      text('[pod/debug-node-7x2k/debugger] [Nov 27 10:00] Out of memory: Killed process 3370 (smbd)'),
    ],
    [
      'kubectl logs --prefix, dmesg -T',
      '[pod/debug-node-7x2k/debugger] [Fri Nov 27 10:00:00 2026] Out of memory: Killed process 3370 (smbd)',
      text('[pod/debug-node-7x2k/debugger] [Fri Nov 27 10:00:00 2026] Out of memory: Killed process 3370 (smbd)'),
    ],
    [
      'pdsh, dmesg -x',
      'node1: kern  :info  : [ 1.5] Out of memory: Killed process 3370 (smbd)',
      text('node1: kern  :info  : [ 1.5] Out of memory: Killed process 3370 (smbd)'),
    ],
    ['pdsh, logread', 'AP1: Sat Jan 25 09:40:15 2020 kern.err kernel: x', text('AP1: Sat Jan 25 09:40:15 2020 kern.err kernel: x')],
    ['pdsh, journalctl -o short-full', 'DB1: Mon 2026-11-30 15:37:46 UTC vm kernel: x', text('DB1: Mon 2026-11-30 15:37:46 UTC vm kernel: x')],
    [
      'a stamp to the minute, a full one in the message',
      '2026-11-27T10:00+00:00 host app[5]: retry at 2026-11-27T10:05:00Z now',
      text('2026-11-27T10:00+00:00 host app[5]: retry at 2026-11-27T10:05:00Z now'),
    ],
    ['a Markdown list marker is no line number', '1. Nov 27 10:00:00 host kernel: x', text('1. Nov 27 10:00:00 host kernel: x')],
    ['cat -n of journalctl -o short-unix', '    12\t1796053066.020418 vm kernel: Call Trace:', kern('Call Trace:', { time: '2026-11-30T15:37:46.020Z' })],
    ['a line number before short-unix', '12 1796053066.020418 vm kernel: Call Trace:', kern('Call Trace:', { time: '2026-11-30T15:37:46.020Z' })],
    [
      'a line number before a Russian month (cat -n, rfjakob/earlyoom#121)',
      '     3\tапр 28 01:23:30 PC kernel: Out of memory: Kill process 27541 (bash) score 572 or sacrifice child',
      kern('Out of memory: Kill process 27541 (bash) score 572 or sacrifice child', { time: '2026-04-27T19:53:30.000Z' }),
    ],
    ['a line number before a Chinese month', '3 4月 28 01:23:30 PC kernel: x', kern('x', { time: '2026-04-27T19:53:30.000Z' })],
    ['grep -n of dmesg -x', '12:kern  :err   : [ 7063.247407] x', dmesg('x', { uptimeSeconds: 7063.247407 })],
    ['grep -n of dmesg -x, user facility', '12:user  :warn  : [   12.5] x', dmesg('x', { fromKernel: false, uptimeSeconds: 12.5 })],
    ['a line number before no form', '204 total pagecache pages', text('204 total pagecache pages')],
    // JSON punctuation is a line of brackets, braces, commas and blanks only.
    ['C code is no JSON punctuation', '};', text('};')],
    ['JSON punctuation with blanks between', '} ]', null],
    // A separator is "--" or "-- ... --" from the start, with blanks after; a Markdown rule is text.
    ['grep\'s "--" with a blank after it', '-- ', text('--')],
    ['a Markdown rule', '---', text('---')],
  ])('%s', (_name, line, expected) => {
    expect(parseLine(line, NOW_UTC)).toEqual(expected);
  });
});

describe('parseLine: marks and stamps at their edges', () => {
  const NOW_UTC = Date.UTC(2026, 10, 27, 12, 0, 0);
  it.each<[string, string, LogRecord | null]>([
    // CommonMark allows blanks between the fence and its info string, and after it.
    ['a fence, a blank, its language', '``` console', null],
    ['a fence, its language, a blank', '```console ', null],
    // A quote mark goes alone: the blank after it is indentation, and " KEY=" then a kmsg continuation line.
    ['a quoted kmsg continuation line', '> SUBSYSTEM=acpi', null],
    // An uptime has a dot between its seconds and their fraction, and nothing else there.
    ['an IRC log line', '[10:42] <alice> the OOM killer took mysqld again', rec('[10:42] <alice> the OOM killer took mysqld again')],
    ['dmesg -d without the "<" of its delta', '[ 7063.247407 0.000003>] x', rec('[ 7063.247407 0.000003>] x')],
    ['a minute past 59 is no time (RFC 3164)', 'Nov 27 10:75:00 host kernel: x', kern('x')],
    ['a minute past 59 is no time (dmesg -T)', '[Fri Nov 27 10:75:00 2026] x', dmesg('x')],
    // A PRI is 1 to 3 digits, as RFC 5424 writes it (no leading zeros): more digits are no PRI.
    ['a PRI of four digits', '<0006>x', rec('<0006>x')],
    ['dmesg -r -T', '<6>[Fri Nov 27 10:00:00 2026] x', dmesg('x', { time: '2026-11-27T04:30:00.000Z' })],
    ['dmesg -r -e, user facility', '<14>[Nov 27 10:00] x', dmesg('x', { fromKernel: false, time: '2026-11-27T04:30:00.000Z' })],
    // RFC 5424 STRUCTURED-DATA is "-" or "[...]": two blanks after MSGID leave it empty, which it may not be.
    ['RFC 5424 without STRUCTURED-DATA', '1 2026-11-27T10:00:00Z host app 12 -  msg', rec('host app 12 -  msg', { fromKernel: false, time: '2026-11-27T10:00:00.000Z' })],
    // A year-less stamp up to a day ahead of now (12:00 UTC, 17:30 local) is this year's; one second more, last year's.
    ['a day ahead', 'Nov 28 17:30:00 host kernel: x', kern('x', { time: '2026-11-28T12:00:00.000Z' })],
    ['a day and a second ahead', 'Nov 28 17:30:01 host kernel: x', kern('x', { time: '2025-11-28T12:00:01.000Z' })],
    // short-full's numeric zone is the whole zone word; any other word is read as local time.
    ['short-full, a zone word holding an offset', 'Fri 2026-11-27 10:00:00 GMT+03 host kernel: x', kern('x', { time: '2026-11-27T04:30:00.000Z' })],
    ['short-full, an offset with seconds', 'Fri 2026-11-27 10:00:00 +03:00:00 host kernel: x', kern('x', { time: '2026-11-27T04:30:00.000Z' })],
    // A tag is a name before ":": a lone ":" is taken as the host, and a word without ":" is no tag.
    ['a lone ":" before the tag', 'Nov 27 10:00:00 : kernel: x', kern('x', { time: '2026-11-27T04:30:00.000Z' })],
    ['short-monotonic, a second word without ":"', '[ 1.5] host kernel, x', dmesg('host kernel, x', { uptimeSeconds: 1.5 })],
    ['dmesg -d without the blank before "<"', '[ 1.5x<0.1>] y', rec('[ 1.5x<0.1>] y')],
    ['RFC 5424 cut short after two fields', '1 - - a', rec('1 - - a')],
    ['a JSON key without its ":"', '"time"  5', rec('"time"  5')],
    ["a tag's pid of digits only", 'Nov 27 10:00:00 host app[-1]: x', rec('host app[-1]: x', { fromKernel: false, time: '2026-11-27T04:30:00.000Z' })],
    ['short-full with tenths', 'Fri 2026-11-27 10:00:00.5 UTC host kernel: x', kern('x', { time: '2026-11-27T10:00:00.500Z' })],
    ['short-full with hundredths', 'Fri 2026-11-27 10:00:00.25 UTC host kernel: x', kern('x', { time: '2026-11-27T10:00:00.250Z' })],
  ])('%s', (_name, line, expected) => {
    expect(parseLine(line, NOW_UTC)).toEqual(expected);
  });
});

describe('a syslog tag is a name with an optional [pid]', () => {
  // Mutation it catches: tagIdentifier accepting "[", "]" or ":" inside the name (envelope.ts, the loop
  // over the name's characters made a no-op): "foo]bar[12]:" would become the identifier "foo]bar".
  it.each(['foo]bar[12]', 'a:b[12]', 'x[y[12]'])('"%s:" is no tag: the line keeps its host and gets no identifier', (tag) => {
    const r = parseLine(`Nov 30 12:00:00 host ${tag}: Out of memory: Killed process 1 (x)`);
    expect(r).toMatchObject({ message: `host ${tag}: Out of memory: Killed process 1 (x)`, identifier: null, fromKernel: false });
  });
});
