import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKernelThread, parseStatus, unescapeStatusName } from '../../src/procfs/status.js';

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
