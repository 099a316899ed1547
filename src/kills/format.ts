import { constraintLabel } from '../kernellog/parse.js';
import type { OomKill, OomKillJson } from '../kernellog/types.js';

/** One kill as one JSON line: exactly OomKillJson's keys, in OomKill's order, null where the log did not say. */
export function formatKillJson(kill: OomKill): string {
  // Built key by key so that the order and the key set are the contract's even if a caller hands in an
  // object with extra or reordered properties. prefixConstraint is left out on purpose: it is the
  // parser's hint for constraintLabel(), and `constraint` holds only what the kernel printed.
  return JSON.stringify({
    killer: kill.killer,
    pid: kill.pid,
    comm: kill.comm,
    uid: kill.uid,
    constraint: kill.constraint,
    memcg: kill.memcg,
    oomMemcg: kill.oomMemcg,
    invoker: kill.invoker,
    totalVmBytes: kill.totalVmBytes,
    anonRssBytes: kill.anonRssBytes,
    fileRssBytes: kill.fileRssBytes,
    shmemRssBytes: kill.shmemRssBytes,
    pgtablesBytes: kill.pgtablesBytes,
    oomScoreAdj: kill.oomScoreAdj,
    time: kill.time,
    uptimeSeconds: kill.uptimeSeconds,
  } satisfies Record<keyof OomKillJson, unknown>);
}

/**
 * Names come from the kernel and may hold any byte: a terminal must not interpret them. Control
 * characters (C0, DEL, C1) and the backslash itself are shown as \xNN, so the output is unambiguous.
 */
export function escapeForTerminal(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching the control characters is the point
  return s.replace(/[\x00-\x1f\x7f-\x9f\\]/g, (ch) => '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0'));
}

const COLUMNS = ['TIME', 'PID', 'COMM', 'KILLER', 'CONSTRAINT', 'MEMCG', 'ANON-RSS', 'INVOKER'] as const;

function whenOf(kill: OomKill): string {
  if (kill.time !== null) return kill.time;
  if (kill.uptimeSeconds !== null) return `+${kill.uptimeSeconds.toFixed(6)}s`;
  return '-';
}

function mib(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Display width: wide (CJK) characters take two cells. Good enough for names; not a full wcwidth. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    w +=
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0x20000 && cp <= 0x3fffd)
        ? 2
        : 1;
  }
  return w;
}

/**
 * A table for people: one row per kill, in log order; time is the wall clock when the log has it, else
 * "+uptime s". Unknown values are "-". Ends with a newline, or is "" when there are no kills.
 */
export function formatKillsTable(kills: readonly OomKill[]): string {
  if (kills.length === 0) return '';
  const rows: string[][] = [COLUMNS.slice()];
  for (const k of kills) {
    const label = constraintLabel(k);
    rows.push([
      whenOf(k),
      k.pid === null ? '-' : String(k.pid),
      k.comm === null ? '-' : escapeForTerminal(k.comm),
      k.killer,
      label === '' ? '-' : label,
      k.memcg === null ? '-' : escapeForTerminal(k.memcg),
      mib(k.anonRssBytes),
      k.invoker === null ? '-' : escapeForTerminal(k.invoker),
    ]);
  }
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((r) => width(r[c]!))));
  const numeric = new Set([1, 6]);
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => {
            const pad = ' '.repeat(widths[c]! - width(cell));
            if (c === r.length - 1) return cell;
            return numeric.has(c) ? pad + cell : cell + pad;
          })
          .join('  '),
      )
      .join('\n') + '\n'
  );
}
