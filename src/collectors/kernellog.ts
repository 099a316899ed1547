import { Counter, Gauge } from 'prom-client';
import { escapeLabelValue, familyHeader, formatValue } from '../exposition.js';
import { startKernelLog } from '../kernellog/follower.js';
import type { CollectorDefinition } from './types.js';

const EVENTS = 'oom_kill_events_total';
const LAST = 'oom_kill_last_timestamp_seconds';
const EVENTS_HEADER = familyHeader(EVENTS, 'OOM kills seen in the kernel log (or reported by a userspace OOM killer) since the exporter started.', 'counter');
const LAST_HEADER = familyHeader(LAST, 'When the last OOM kill with these labels happened (the log record time).', 'gauge');

/**
 * OOM kills followed live in the kernel log (and userspace killers' reports), counted by victim,
 * cgroup and constraint, plus the health of the follower itself. Next to oom_kills_total (the
 * kernel's own count) this shows kills the log missed.
 *
 * The two kill families are written by hand: comm and cgroup may hold any character, and prom-client
 * keys a label set by joining `name:value,` unescaped, so {comm="b",cgroup="/x,comm:b"} and
 * {comm="b,comm:b",cgroup="/x"} would be one series to it. The kill store keys them unambiguously.
 */
export const kernelLogCollector: CollectorDefinition = {
  name: 'kernellog',
  defaultEnabled: true,
  help: 'OOM kills from the kernel log (/dev/kmsg, journald or a syslog file), by victim, cgroup and constraint.',
  async create({ registry, config, log, kills }) {
    const registers = [registry];
    const sourceLabel = ['source'] as const;
    const up = new Gauge({ name: 'oom_kernel_log_up', help: '1 while the kernel log follower is reading its source, 0 when it cannot.', labelNames: sourceLabel, registers });
    const records = new Counter({ name: 'oom_kernel_log_records_total', help: 'Kernel log records read since the exporter started.', labelNames: sourceLabel, registers });
    const lost = new Counter({ name: 'oom_kernel_log_records_lost_total', help: 'Kernel log records lost before we could read them (kmsg ring buffer overrun, journald "Missed N kernel messages").', labelNames: sourceLabel, registers });

    const follower = await startKernelLog({
      source: config.kernelLogSource,
      file: config.kernelLogFile,
      stateFile: config.kernelLogStateFile,
      procfs: config.procfs,
      log,
      onKill: (kill, ts) => kills.record(kill, ts),
    });
    // --kernel-log.source=none is a choice: no follower series. "auto" finding nothing is a problem
    // worth an alert: up{source="none"} 0.
    const silent = config.kernelLogSource === 'none';

    return {
      collect(scrape) {
        // Drain first, so a kill the kernel reported a moment ago is in this very scrape.
        follower.drain();
        let events = EVENTS_HEADER;
        let last = LAST_HEADER;
        for (const s of kills.series()) {
          const l = s.labels;
          const labels = `{killer="${escapeLabelValue(l.killer)}",comm="${escapeLabelValue(l.comm)}",constraint="${escapeLabelValue(l.constraint)}",cgroup="${escapeLabelValue(l.cgroup)}"} `;
          events += `${EVENTS}${labels}${s.count}\n`;
          last += `${LAST}${labels}${formatValue(s.lastTimestampSeconds)}\n`;
        }
        scrape.out.string(events + last);
        if (!silent) {
          const source = { source: follower.source };
          up.set(source, follower.up() ? 1 : 0);
          records.reset();
          records.inc(source, follower.recordsTotal());
          lost.reset();
          lost.inc(source, follower.lostTotal());
        }
        // Everything read so far is in this scrape: only now may a restart resume past it.
        follower.commit();
      },
      close: () => follower.stop(),
    };
  },
};
