import fs from 'node:fs';

/**
 * Big kernel logs for the `kills` command's streaming tests, made of real reports (their sources are in
 * test/fixtures/kernellog/SOURCES.md) with a pid and comm of their own per kill, in a syslog file's
 * envelope. Most kills are the short 5.x global report of equinor/ert#7797 (header, task list head,
 * summary, kill, reaper); every 100th is the whole 80-line 6.18 memcg report made on this machine.
 */

const fixture = (name: string): string[] =>
  fs
    .readFileSync(new URL(`../fixtures/kernellog/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

// dmesg --time-format iso: the message follows the first space.
const SHORT = fixture('dmesg-iso-ert7797.txt').map((l) => l.slice(l.indexOf(' ') + 1));
// Raw /dev/kmsg records: the message follows the first ';'. The report is the last 80 records.
const FULL = fixture('kmsg-memcg-v1-6.18.txt')
  .slice(-80)
  .map((l) => l.slice(l.indexOf(';') + 1));

/** The i-th kill's victim. */
export function victim(i: number): { pid: number; comm: string } {
  return { pid: 20_000 + i, comm: `victim ${i % 7}` };
}

function report(i: number): string[] {
  const { pid, comm } = victim(i);
  if (i % 100 === 99) return FULL.map((l) => l.replaceAll('oom (test) 1', comm).replaceAll('1928', String(pid)));
  return SHORT.map((l) =>
    l
      .replaceAll('perl', comm)
      .replaceAll('1440763', String(pid))
      .replace(/^pool /, `${comm} `),
  );
}

/** Kills first .. first+count-1 as kern.log text, one second of log apart, each ending in a newline. */
export function killLog(first: number, count: number): string {
  const lines: string[] = [];
  for (let i = first; i < first + count; i++) {
    const t = new Date(Date.UTC(2026, 2, 9, 18, 0, 0) + i * 1000);
    const stamp = `Mar ${String(t.getUTCDate()).padStart(2)} ${t.toISOString().slice(11, 19)} host kernel: `;
    for (const m of report(i)) lines.push(stamp + m);
  }
  return lines.join('\n') + '\n';
}
