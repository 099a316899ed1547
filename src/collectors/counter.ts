import type { Counter, Metric, Registry } from 'prom-client';

/**
 * Sets an unlabelled prom-client Counter to a value the kernel counts for us (vmstat oom_kill, PSI
 * totals). prom-client counters only go up by inc(); reset-then-inc mirrors the kernel's value exactly,
 * and the kernel's own resets (a reboot) show as counter resets, which rate() handles.
 */
export function mirrorCounter(counter: Counter, value: number): void {
  counter.reset();
  counter.inc(value);
}

/**
 * An unlabelled prom-client metric always prints a sample (0 when unset). Where the kernel has no such
 * value (no PSI, vmstat before 4.13) the honest answer is no series at all, so the metric is taken out
 * of the registry and put back when the value appears.
 */
export function setPresent(registry: Registry, metric: Metric, present: boolean): void {
  const name = (metric as unknown as { name: string }).name;
  const registered = registry.getSingleMetric(name) !== undefined;
  if (present && !registered) registry.registerMetric(metric);
  else if (!present && registered) registry.removeSingleMetric(name);
}
