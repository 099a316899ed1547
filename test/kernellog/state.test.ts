import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadState, readBootId, saveState, type SavedState } from '../../src/kernellog/state.js';

let dir: string;
let file: string;
const BOOT = 'ef576f51-d62b-4672-928c-27480c8bbdb6';

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-state-'));
  file = path.join(dir, 'state.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const kmsgState: SavedState = { version: 1, bootId: BOOT, source: 'kmsg', position: { source: 'kmsg', seq: 4242 } };

describe('state file', () => {
  it('round-trips each kind of position', () => {
    const states: SavedState[] = [
      kmsgState,
      { version: 1, bootId: BOOT, source: 'journald', position: { source: 'journald', cursor: 's=0c;i=1a8;b=ef;m=7f;t=661;x=1f' } },
      { version: 1, bootId: BOOT, source: 'file', position: { source: 'file', path: '/var/log/kern.log', inode: '18446744073709551615', offset: 123 } },
    ];
    for (const st of states) {
      saveState(file, st);
      expect(loadState(file, { bootId: BOOT, source: st.source, file: '/var/log/kern.log' })).toEqual({ ok: true, state: st });
    }
    // The write went through a temporary file that is gone now.
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  it('replaces the old state whole', () => {
    fs.writeFileSync(file, JSON.stringify({ ...kmsgState, padding: 'x'.repeat(10_000) }));
    saveState(file, kmsgState);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(kmsgState);
  });

  it('says why a state cannot be used', () => {
    const want = { bootId: BOOT, source: 'kmsg' as const };
    expect(loadState(file, want)).toEqual({ ok: false, reason: `state file ${file} does not exist yet` });

    fs.writeFileSync(file, '{"version":1,"bootId":"' + BOOT + '","sou');
    const corrupt = loadState(file, want);
    expect(corrupt.ok).toBe(false);
    expect(!corrupt.ok && corrupt.reason).toMatch(/is not valid JSON/);

    fs.writeFileSync(file, '[1,2]');
    expect(loadState(file, want)).toEqual({ ok: false, reason: `state file ${file} does not hold a JSON object` });

    fs.writeFileSync(file, JSON.stringify({ ...kmsgState, version: 2 }));
    expect(loadState(file, want)).toEqual({ ok: false, reason: `state file ${file} has version 2, want 1` });

    fs.writeFileSync(file, JSON.stringify({ ...kmsgState, position: { source: 'kmsg', seq: -1 } }));
    expect(loadState(file, want)).toEqual({ ok: false, reason: `state file ${file} is malformed (bootId, source or position missing or invalid)` });

    fs.writeFileSync(file, JSON.stringify({ ...kmsgState, source: 'journald' }));
    expect(loadState(file, want).ok).toBe(false);

    saveState(file, kmsgState);
    expect(loadState(file, { bootId: 'another-boot', source: 'kmsg' })).toEqual({
      ok: false,
      reason: `state file ${file} is from another boot (${BOOT}, now another-boot)`,
    });
    expect(loadState(file, { bootId: BOOT, source: 'journald' })).toEqual({
      ok: false,
      reason: `state file ${file} is for the kmsg source, now following journald`,
    });
    expect(loadState(file, { bootId: null, source: 'kmsg' }).ok).toBe(false);

    saveState(file, { version: 1, bootId: BOOT, source: 'file', position: { source: 'file', path: '/var/log/kern.log', inode: '12', offset: 0 } });
    expect(loadState(file, { bootId: BOOT, source: 'file', file: '/var/log/syslog' })).toEqual({
      ok: false,
      reason: `state file ${file} is for /var/log/kern.log, now following /var/log/syslog`,
    });
  });

  it('reports an unreadable state file', () => {
    fs.mkdirSync(file);
    const r = loadState(file, { bootId: BOOT, source: 'kmsg' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/is unreadable: .*EISDIR/);
  });

  it('reads the boot id from the procfs root given', () => {
    fs.mkdirSync(path.join(dir, 'sys/kernel/random'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sys/kernel/random/boot_id'), `${BOOT}\n`);
    expect(readBootId(dir)).toBe(BOOT);
    expect(readBootId(path.join(dir, 'nowhere'))).toBeNull();
    expect(readBootId('/proc')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
