import { defineConfig } from 'vitest/config';

// Log lines without a zone are read as this machine's local time: the suite runs in one fixed zone, so
// what tests expect of them (the golden files too) is the same on every machine. Not UTC, where local time
// and UTC could not be told apart: India's, UTC+05:30 all year (no daylight saving to step over).
process.env.TZ = 'Asia/Kolkata';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-kernel tests (cgroups, /dev/kmsg, journald) share machine-wide state: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // .ci/run sets VITEST_JSON_REPORT to print a one-line summary of what ran from it.
    reporters: process.env.VITEST_JSON_REPORT ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT }]] : ['default'],
  },
});
