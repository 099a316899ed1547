/**
 * The metric contract (DESIGN.md) as the deploy tests need it, and a small PromQL scanner. Not a test
 * file itself: vitest only collects *.test.ts.
 */

/** Every metric the exporter promises, from the contract table. */
export const CONTRACT_METRICS: ReadonlySet<string> = new Set([
  'oom_process_resident_memory_bytes',
  'oom_process_swap_bytes',
  'oom_process_score',
  'oom_process_score_adj',
  'oom_processes_visible',
  'oom_processes_exported',
  'oom_memory_total_bytes',
  'oom_memory_available_bytes',
  'oom_swap_total_bytes',
  'oom_swap_used_bytes',
  'oom_kills_total',
  'oom_memory_pressure_waiting_seconds_total',
  'oom_memory_pressure_stalled_seconds_total',
  'oom_kill_events_total',
  'oom_kill_last_timestamp_seconds',
  'oom_kernel_log_up',
  'oom_kernel_log_records_total',
  'oom_kernel_log_records_lost_total',
  'oom_cgroup_memory_usage_bytes',
  'oom_cgroup_memory_limit_bytes',
  'oom_cgroup_memory_working_set_bytes',
  'oom_cgroup_memory_anon_bytes',
  'oom_cgroup_memory_file_bytes',
  'oom_cgroup_memory_inactive_file_bytes',
  'oom_cgroup_memory_shmem_bytes',
  'oom_cgroup_memory_kernel_bytes',
  'oom_cgroup_memory_sock_bytes',
  'oom_cgroup_swap_usage_bytes',
  'oom_cgroup_swap_limit_bytes',
  'oom_cgroup_oom_kills_total',
  'oom_cgroup_memory_pressure_waiting_seconds_total',
  'oom_cgroup_memory_pressure_stalled_seconds_total',
  'oom_cgroup_info',
  'oom_scrape_collector_duration_seconds',
  'oom_scrape_collector_success',
  'oom_exporter_build_info',
]);

const KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'atan2',
  'sum', 'min', 'max', 'avg', 'count', 'topk', 'bottomk', 'quantile', 'stddev', 'stdvar', 'count_values', 'group',
  'inf', 'nan',
]);

/**
 * The metric names a PromQL expression selects. Strings, label matchers, ranges, label lists and Grafana
 * variables are blanked first; then every identifier that is not a keyword or a function call is a
 * metric name. Good enough for our own expressions, and it fails loudly (with the odd name) otherwise.
 */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^{}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1 ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  const names: string[] = [];
  for (const m of s.matchAll(/(?<![\w.])[a-zA-Z_:][\w:]*/g)) {
    const word = m[0];
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (s.slice(m.index + word.length).trimStart().startsWith('(')) continue;
    names.push(word);
  }
  return names;
}

/**
 * The range of every rate()/irate()/increase() call in an expression, e.g. ["$__rate_interval"].
 * Scans to the call's closing parenthesis, so a range inside a nested call is not mistaken for its own.
 */
export function counterFunctionRanges(expr: string): { fn: string; ranges: string[] }[] {
  const out: { fn: string; ranges: string[] }[] = [];
  for (const m of expr.matchAll(/\b(irate|rate|increase)\s*\(/g)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    while (i < expr.length && depth > 0) {
      if (expr[i] === '(') depth++;
      else if (expr[i] === ')') depth--;
      i++;
    }
    const body = expr.slice(start, i - 1);
    out.push({ fn: m[1] ?? '', ranges: [...body.matchAll(/\[([^\]]*)\]/g)].map((r) => r[1] ?? '') });
  }
  return out;
}
