import { describe, expect, it } from 'vitest';
import { startExporter } from '../helpers/cli.js';
import { one, parseMetrics } from '../helpers/metrics.js';
import { requireRoot } from '../helpers/root.js';

// nobody: no CAP_SYSLOG (kernel.dmesg_restrict=1 on Debian refuses it /dev/kmsg), not in systemd-journal.
const NOBODY = 65534;

/** The exporter run as a user who can read no kernel log, as a careless unit or pod spec runs it. */
describe.runIf(requireRoot())('a non-root exporter that can read no kernel log', () => {
  it('auto: says at warn that there is none, why for each source, and what to grant; serves up{source="none"} 0', async () => {
    const exp = await startExporter(['--kernel-log.file=/nonexistent/kern.log'], { uid: NOBODY, gid: NOBODY });
    try {
      const s = parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
      expect(one(s, 'oom_kernel_log_up', { source: 'none' })).toBe(0);
      const warns = exp
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"level":"warn"'));
      expect(warns.some((l) => l.includes('"source":"kmsg"') && /Operation not permitted|EPERM/.test(l))).toBe(true);
      expect(warns.some((l) => l.includes('"source":"journald"'))).toBe(true);
      expect(warns.some((l) => /no kernel log source can be read.*CAP_SYSLOG.*systemd-journal group.*--kernel-log\.file/.test(l))).toBe(true);
    } finally {
      expect(await exp.stop()).toBe(0);
    }
  });

  it('kmsg asked for: up 0, and the warn line says what reading it needs', async () => {
    const exp = await startExporter(['--kernel-log.source=kmsg'], { uid: NOBODY, gid: NOBODY });
    try {
      const s = parseMetrics(await (await fetch(`${exp.url}/metrics`)).text());
      expect(one(s, 'oom_kernel_log_up', { source: 'kmsg' })).toBe(0);
      expect(exp.stderr()).toMatch(/"level":"warn".*opening \/dev\/kmsg: .*needs root or CAP_SYSLOG.*trying again in 1 s/);
    } finally {
      expect(await exp.stop()).toBe(0);
    }
  });
});
