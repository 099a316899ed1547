import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against each mutant (stryker.config.mjs): the unit tests of the pure core it
 * mutates, and nothing that needs root, a real kernel log, journald or Prometheus. Each mutant runs only
 * the tests that cover it (coverageAnalysis perTest), so a slow end-to-end file here would cost nothing
 * per mutant but would make the initial run, and every static mutant, pay for it.
 */
export const MUTATION_TESTS = [
  'test/procfs/parsers.test.ts',
  'test/procfs/status.test.ts',
  'test/cgroup/info.test.ts',
  'test/cgroup/memory-stat.test.ts',
  'test/cgroup/kubelet-logs.test.ts',
  'test/cgroup/mounts.test.ts',
  'test/kernellog/corpus.test.ts',
  'test/kernellog/envelope.test.ts',
  'test/kernellog/envelope-first-line.test.ts',
  'test/kernellog/escapes.test.ts',
  'test/kernellog/kmsg-record.test.ts',
  'test/kernellog/journal-record.test.ts',
  'test/kernellog/lines.test.ts',
  'test/kernellog/parse.test.ts',
  'test/kernellog/parse-rules.test.ts',
  'test/kernellog/parse-context.test.ts',
  'test/kernellog/property.test.ts',
  'test/kernellog/report-tables.test.ts',
  'test/exposition/bytes.test.ts',
  'test/exposition/metrics.test.ts',
  'test/collectors/kernellog.test.ts',
  'test/config.test.ts',
  'test/collectors/selection.test.ts',
  'test/kills/store.test.ts',
  'test/kills/format.test.ts',
];

// Log lines without a zone are read as this machine's local time: the suite runs in one fixed zone, so
// what tests expect of them (the golden files too) is the same on every machine. Not UTC, where local time
// and UTC could not be told apart: India's, UTC+05:30 all year (no daylight saving to step over).
process.env.TZ = 'Asia/Kolkata';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: MUTATION_TESTS,
    globalSetup: ['test/mutation/kubelet-fixtures.ts'],
    setupFiles: ['test/mutation/fixed-seed.ts'],
    testTimeout: 60_000,
  },
});
