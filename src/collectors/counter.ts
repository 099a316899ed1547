import type { Counter } from 'prom-client';

/**
 * Sets a prom-client Counter to a value the kernel counts for us (vmstat oom_kill, PSI totals).
 * prom-client counters only go up by inc(); reset-then-inc mirrors the kernel's value exactly, and the
 * kernel's own resets (a reboot) show as counter resets, which rate() handles.
 */
export function mirrorCounter<T extends string>(counter: Counter<T>, value: number, labels?: Partial<Record<T, string>>): void {
  if (labels === undefined) {
    counter.reset();
    counter.inc(value);
  } else {
    counter.inc(labels, value);
  }
}
