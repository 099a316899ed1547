import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKernelThread, parseStatus, parseStatusBytes, unescapeStatusName } from '../../src/procfs/status.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/proc/${p}`, import.meta.url), 'utf8');

describe('parseStatus', () => {
  it('converts kB to bytes and reads name, state, tgid, ppid, uid', () => {
    const s = parseStatus(fixture('100/status'));
    expect(s).toMatchObject({ name: 'python3', state: 'S', tgid: 100, ppid: 1, uid: 1000, vmRssBytes: 102400 * 1024, vmSwapBytes: 2048 * 1024, hasMm: true });
  });

  it("reads Tgid, which differs from the PID in a thread's /proc/TID/status", () => {
    expect(parseStatus('Name:\tworker\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4243\nPPid:\t1\n')).toMatchObject({ tgid: 4242, ppid: 1 });
  });

  it('leaves absent keys undefined (kernel threads have no Vm* lines)', () => {
    const s = parseStatus(fixture('2/status'));
    expect(s.vmRssBytes).toBeUndefined();
    expect(s.vmSwapBytes).toBeUndefined();
    expect(s.hasMm).toBe(false);
    expect(s.kthread).toBe(true);
  });

  it('undoes the kernel escaping of backslash and newline in Name', () => {
    expect(parseStatus(fixture('101/status')).name).toBe('a\\b\nc"d');
  });

  it('keeps spaces, parentheses and tabs in Name verbatim', () => {
    expect(parseStatus(fixture('107/status')).name).toBe('Web (Content) 1');
    expect(parseStatus('Name:\ta\tb (x)\nVmRSS:\t 4 kB\n').name).toBe('a\tb (x)');
  });

  it('tells kernel threads from user processes on new and old kernels', () => {
    expect(isKernelThread(2, parseStatus(fixture('2/status')))).toBe(true);
    expect(isKernelThread(3, parseStatus(fixture('3/status')))).toBe(true); // no Kthread line, parent kthreadd
    expect(isKernelThread(1, parseStatus(fixture('1/status')))).toBe(false);
    expect(isKernelThread(105, parseStatus(fixture('105/status')))).toBe(false); // a zombie is not a kernel thread
  });

  it('parses the real status of this process', () => {
    const s = parseStatus(readFileSync('/proc/self/status', 'utf8'));
    expect(s.name).toBe(readFileSync('/proc/self/comm', 'utf8').replace(/\n$/, ''));
    expect(s.vmRssBytes).toBeGreaterThan(1024 * 1024);
  });
});

describe('unescapeStatusName', () => {
  it('leaves a trailing lone backslash alone', () => {
    expect(unescapeStatusName('abc\\')).toBe('abc\\');
  });
  it('decodes octal escapes', () => {
    expect(unescapeStatusName('a\\033b')).toBe('a\x1bb');
  });
});

describe('unescapeStatusName, every escape', () => {
  it.each([
    ['\\n', '\n'],
    ['\\t', '\t'],
    ['\\r', '\r'],
    ['\\f', '\f'],
    ['\\v', '\v'],
    ['\\\\', '\\'],
    ['\\"', '"'],
    ['\\e', '\x1b'],
    ['\\000', '\0'],
    ['\\177', '\x7f'],
    ['\\377', '\xff'],
  ])('%s', (escaped, raw) => {
    expect(unescapeStatusName(`a${escaped}b`)).toBe(`a${raw}b`);
  });

  it('keeps what is no escape as it is: an unknown letter, a short or non-octal number', () => {
    expect(unescapeStatusName('a\\qb')).toBe('a\\qb');
    expect(unescapeStatusName('a\\08b')).toBe('a\\08b');
    expect(unescapeStatusName('a\\8')).toBe('a\\8');
    expect(unescapeStatusName('\\07')).toBe('\\07');
    expect(unescapeStatusName('x\\12')).toBe('x\\12');
    expect(unescapeStatusName('\\\\\\')).toBe('\\\\');
    expect(unescapeStatusName('\\0123')).toBe('\n3');
    // Digits count only right after the backslash, not further on.
    expect(unescapeStatusName('a\\q123')).toBe('a\\q123');
    expect(unescapeStatusName('a\\8123')).toBe('a\\8123');
  });
});

describe('parseStatusBytes', () => {
  it('reads only the first len bytes of a reused buffer', () => {
    const text = 'Name:\tsh\nVmRSS:\t4 kB\n';
    const buf = Buffer.from(text + 'VmSwap:\t8 kB\nPPid:\t9\n');
    expect(parseStatusBytes(buf, Buffer.byteLength(text))).toMatchObject({ name: 'sh', vmRssBytes: 4096, vmSwapBytes: undefined, ppid: undefined });
    // The last line cut by len: its value ends there.
    expect(parseStatusBytes(Buffer.from('VmRSS:\t123 kB\n'), 9).vmRssBytes).toBe(12 * 1024);
    expect(parseStatusBytes(Buffer.from('Name:\tabcdef\n'), 8).name).toBe('ab');
  });

  it('stops at len even when the stale bytes there begin a key', () => {
    // The buffer last held a longer status; this one ends with its newline right before the stale State line.
    const buf = Buffer.from('Name:\tsh\nState:\tR (running)\nVmRSS:\t4 kB\n');
    expect(parseStatusBytes(buf, 'Name:\tsh\n'.length)).toEqual({
      name: 'sh',
      state: undefined,
      tgid: undefined,
      ppid: undefined,
      uid: undefined,
      vmRssBytes: undefined,
      vmSwapBytes: undefined,
      kthread: undefined,
      hasMm: false,
    });
  });

  it('reads no Kthread from a line cut before its colon', () => {
    expect(parseStatus('Name:\tkworker/0:1\nPPid:\t2\nKthr')).toEqual({
      name: 'kworker/0:1',
      state: undefined,
      tgid: undefined,
      ppid: 2,
      uid: undefined,
      vmRssBytes: undefined,
      vmSwapBytes: undefined,
      kthread: undefined,
      hasMm: false,
    });
  });

  it('reads each key from its own line, whatever the order, and no other line for it', () => {
    const s = parseStatus(
      'PPid:\t7\nPid:\t5\nUid:\t1000\t1000\t1000\t1000\nUmask:\t0022\nVmSwap:\t8 kB\nVmPTE:\t96 kB\nVmRSS:\t4 kB\nVmPeak:\t99 kB\nState:\tZ (zombie)\nSeccomp:\t2\n',
    );
    expect(s).toMatchObject({ ppid: 7, uid: 1000, vmSwapBytes: 8192, vmRssBytes: 4096, state: 'Z', hasMm: false });
  });

  it('reads a value right after the colon as well as after its tab; a key at the very end has none', () => {
    expect(parseStatus('Name:x y\nKthread:1\nState:R\n')).toMatchObject({ name: 'x y', kthread: true, state: 'R' });
    expect(parseStatus('Kthread:\t0\n').kthread).toBe(false);
    expect(parseStatus('VmSize:\t1 kB\nVmRSS:')).toMatchObject({ hasMm: true, vmRssBytes: undefined });
    expect(parseStatus('Na')).toMatchObject({ name: undefined });
    expect(parseStatus('State:')).toMatchObject({ state: '?' });
  });
});

describe('isKernelThread', () => {
  it('believes Kthread: where the kernel prints it, even for a child of kthreadd without memory', () => {
    // A usermode helper (modprobe, started by the kernel) is kthreadd's child; as a zombie it has no mm.
    expect(isKernelThread(900, parseStatus('Name:\tmodprobe\nState:\tZ (zombie)\nPPid:\t2\nKthread:\t0\n'))).toBe(false);
    expect(isKernelThread(900, parseStatus('Name:\tkworker/0:1\nPPid:\t2\nKthread:\t1\nVmSize:\t1 kB\n'))).toBe(true);
  });

  it('before 6.0: kthreadd itself (pid 2) and its children without memory', () => {
    expect(isKernelThread(2, parseStatus('Name:\tkthreadd\nPPid:\t0\n'))).toBe(true);
    expect(isKernelThread(3, parseStatus('Name:\trcu_gp\nPPid:\t2\n'))).toBe(true);
    expect(isKernelThread(4, parseStatus('Name:\thelper\nPPid:\t2\nVmSize:\t1 kB\n'))).toBe(false);
    expect(isKernelThread(5, parseStatus('Name:\tinit\nPPid:\t0\n'))).toBe(false);
  });
});
