import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unescapeKmsg } from '../../src/kernellog/escapes.js';
import { parseKmsgRecord } from '../../src/kernellog/kmsg-record.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/kernellog/${name}`, import.meta.url), 'utf8');

describe('parseKmsgRecord', () => {
  it('splits PRI into facility and level and reads SEQ and USEC', () => {
    expect(parseKmsgRecord('3,423,1298497674,-;Memory cgroup out of memory: Killed process 1928\n')).toEqual({
      facility: 0,
      level: 3,
      seq: 423,
      usec: 1298497674,
      message: 'Memory cgroup out of memory: Killed process 1928',
    });
  });

  it('gives a record a process wrote into /dev/kmsg its facility (user = 1)', () => {
    expect(parseKmsgRecord('12,99,5,-;earlyoom[7]: hello')).toMatchObject({ facility: 1, level: 4, message: 'earlyoom[7]: hello' });
  });

  it('ignores continuation lines and extra header fields', () => {
    const raw = '5,340,1279985,-,caller=T1;virtio_blk virtio1: new size\n SUBSYSTEM=virtio\n DEVICE=+virtio:virtio1\n';
    expect(parseKmsgRecord(raw)).toEqual({ facility: 0, level: 5, seq: 340, usec: 1279985, message: 'virtio_blk virtio1: new size' });
  });

  it('unescapes \\xNN into bytes and decodes them as UTF-8', () => {
    // "ö" is 0xc3 0xb6: the kernel escapes both bytes; a backslash arrives as \x5c.
    expect(parseKmsgRecord('6,1,2,-;a\\x09b \\xc3\\xb6l \\x5cx41\n')?.message).toBe('a\tb öl \\x41');
    expect(unescapeKmsg('no escapes')).toBe('no escapes');
    expect(unescapeKmsg('bad \\xZZ and \\x4')).toBe('bad \\xZZ and \\x4');
  });

  it.each([
    '',
    'Killed process 1 (a) total-vm:1kB',
    '[ 7063.247407] Memory cgroup out of memory',
    '2024-04-29T14:55:41,679685+02:00 oom-kill:constraint=CONSTRAINT_NONE',
    ' SUBSYSTEM=virtio',
    '6,1,2;missing flags',
    '6,x,2,-;bad seq',
    '6,1,2,- ;space in flags',
    'May 07 21:43:54 doom kernel: x',
    '6,1,2,-',
  ])('returns null for a non-record: %j', (raw) => {
    expect(parseKmsgRecord(raw)).toBeNull();
  });

  it('reads every record of a real /dev/kmsg dump made on this machine', () => {
    const lines = fixture('kmsg-memcg-v1-6.18.txt')
      .split('\n')
      .filter((l) => l !== '');
    const records = lines.map(parseKmsgRecord);
    // Continuation lines (" KEY=VALUE") are the only lines that are not records.
    lines.forEach((l, i) => expect(records[i] === null).toBe(l.startsWith(' ')));
    const kill = records.find((r) => r?.message.includes('Killed process'));
    expect(kill).toEqual({
      facility: 0,
      level: 3,
      seq: 423,
      usec: 1298497674,
      message:
        'Memory cgroup out of memory: Killed process 1928 (oom (test) 1) total-vm:82536kB, anon-rss:72320kB, file-rss:6808kB, shmem-rss:0kB, UID:0 pgtables:196kB oom_score_adj:0',
    });
    expect(records.find((r) => r?.seq === 90)?.message).toBe('rcu: \tRCU restricting CPUs from NR_CPUS=256 to nr_cpu_ids=2.');
  });
});

describe('parseKmsgRecord refuses what is not a record', () => {
  it.each([
    ['an empty field', '6,,1,-;x'],
    ['an empty usec', '6,1,,-;x'],
    ['an empty priority', ',1,2,-;x'],
    ['a letter in a number', '6,1a,2,-;x'],
    ['a letter in the usec', '6,1,2x,-;x'],
    // Characters below "0" after a digit, where a number read without its check would still be positive.
    ['a "." in a number', '6,1.5,2,-;x'],
    ['a "/" in the usec', '6,1,2/,-;x'],
    ['a letter first', 'x6,1,2,-;x'],
    ['a "/" first', '/6,1,2,-;x'],
    ['a ":" first', ':6,1,2,-;x'],
    ['no ";"', '6,1,2,-'],
    ['";" before the first ","', '6;1,2,-'],
    ['";" before the second ","', '6,1;2,-,'],
    ['";" before the third ","', '6,1,2;-,'],
    ['a space in the flags', '6,1,2, ;x'],
    ['a control character in the flags', '6,1,2,\x01;x'],
    ['DEL in the flags', '6,1,2,\x7f;x'],
  ])('%s', (_what, raw) => {
    expect(parseKmsgRecord(raw)).toBeNull();
  });

  it('takes any printable flags, up to "~", and the first line of the text only', () => {
    expect(parseKmsgRecord('14,7,8,!~c;hello\n SUBSYSTEM=x')).toEqual({ facility: 1, level: 6, seq: 7, usec: 8, message: 'hello' });
    expect(parseKmsgRecord('0,0,0,-;')).toEqual({ facility: 0, level: 0, seq: 0, usec: 0, message: '' });
    expect(parseKmsgRecord('9,1,2,-;a\\x41;b')).toEqual({ facility: 1, level: 1, seq: 1, usec: 2, message: 'aA;b' });
  });
});
