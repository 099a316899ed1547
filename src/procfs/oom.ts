/** /proc/PID/oom_score and oom_score_adj hold one decimal integer each (adj may be negative). */
export function parseIntFile(text: string): number | undefined {
  const n = parseInt(text, 10);
  return Number.isFinite(n) ? n : undefined;
}
