import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseSource } from '../../../src/kernellog/sources/auto.js';
import { requireRoot } from '../../helpers/root.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oom-auto-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A journalctl stand-in: a shell script printing `out` and exiting with `code`. */
function fakeJournalctl(out: string, code: number, err = ''): string[] {
  const p = path.join(dir, `journalctl-${code}-${out.length}`);
  fs.writeFileSync(p, `#!/bin/sh\nprintf '%s' '${out}'\nprintf '%s\\n' '${err}' >&2\nexit ${code}\n`, { mode: 0o755 });
  return [p];
}

describe('source selection', () => {
  it('takes an explicit source as asked, without checks', async () => {
    for (const requested of ['kmsg', 'journald', 'none'] as const) {
      expect(await chooseSource({ requested, kmsg: { path: '/nonexistent' } })).toEqual({ source: requested, file: null, rejected: [] });
    }
    expect(await chooseSource({ requested: 'file', file: '/var/log/x' })).toEqual({ source: 'file', file: '/var/log/x', rejected: [] });
  });

  it.runIf(requireRoot())('auto: /dev/kmsg when it can be opened', async () => {
    expect(await chooseSource({ requested: 'auto' })).toEqual({ source: 'kmsg', file: null, rejected: [] });
  });

  it('auto: journald when kmsg cannot be opened and journalctl shows kernel records', async () => {
    const choice = await chooseSource({
      requested: 'auto',
      kmsg: { path: path.join(dir, 'kmsg') },
      journalctl: fakeJournalctl('{"MESSAGE":"x"}', 0),
    });
    expect(choice.source).toBe('journald');
    expect(choice.rejected).toEqual([{ source: 'kmsg', reason: expect.stringMatching(/^cannot open .*kmsg: ENOENT/) }]);
  });

  it('auto: the first readable syslog file, with why kmsg and journald were passed over', async () => {
    const syslog = path.join(dir, 'syslog');
    fs.writeFileSync(syslog, '');
    const choice = await chooseSource({
      requested: 'auto',
      kmsg: { path: path.join(dir, 'kmsg') },
      // With no journald, journalctl prints nothing and exits 0: that is not "works".
      journalctl: fakeJournalctl('', 0),
      syslogFiles: [path.join(dir, 'kern.log'), dir, syslog],
    });
    expect(choice.source).toBe('file');
    expect(choice.file).toBe(syslog);
    expect(choice.rejected).toEqual([
      { source: 'kmsg', reason: expect.stringContaining('ENOENT') },
      { source: 'journald', reason: expect.stringContaining('shows no kernel records of this boot') },
      { source: 'file', reason: expect.stringContaining(`cannot open ${path.join(dir, 'kern.log')}`) },
      { source: 'file', reason: `${dir} is not a regular file` },
    ]);
  });

  it('auto: --kernel-log.file is tried before the usual files', async () => {
    const mine = path.join(dir, 'mine.log');
    const other = path.join(dir, 'other.log');
    fs.writeFileSync(mine, '');
    fs.writeFileSync(other, '');
    const choice = await chooseSource({
      requested: 'auto',
      file: mine,
      kmsg: { path: path.join(dir, 'kmsg') },
      journalctl: fakeJournalctl('', 1, 'Failed'),
      syslogFiles: [other],
    });
    expect(choice).toMatchObject({ source: 'file', file: mine });
    expect(choice.rejected[1]).toEqual({ source: 'journald', reason: expect.stringMatching(/failed: Failed$/) });
  });

  it('auto: none when nothing can be read', async () => {
    const choice = await chooseSource({
      requested: 'auto',
      kmsg: { path: path.join(dir, 'kmsg') },
      journalctl: [path.join(dir, 'no-journalctl')],
      syslogFiles: [path.join(dir, 'kern.log')],
    });
    expect(choice.source).toBe('none');
    expect(choice.rejected.map((r) => r.source)).toEqual(['kmsg', 'journald', 'file']);
    expect(choice.rejected[1]!.reason).toMatch(/ENOENT/);
  });
});
