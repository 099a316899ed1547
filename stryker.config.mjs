// StrykerJS: `npm run mutate` mutates the pure core (parsers, the metric writer, config, selection, the
// kill store) and runs its unit tests against each mutant; README.md, "Mutation testing", has the score.
// A surviving mutant is a change to the code that no test notices: kill it with a test, or, when it
// cannot change behaviour, list it with the reason in test/mutation/equivalent-mutants.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    // procfs parsers (the readers around them do I/O and are tested on real /proc trees instead)
    'src/procfs/cgroup.ts',
    'src/procfs/meminfo.ts',
    'src/procfs/pressure.ts',
    'src/procfs/status.ts',
    'src/procfs/vmstat.ts',
    // cgroup parsers: paths, memory.stat, mountinfo, and the kubelet's log names (not its directory reads)
    'src/cgroup/info.ts',
    'src/cgroup/memory-stat.ts',
    'src/cgroup/mounts.ts',
    'src/cgroup/kubelet-logs.ts:1-43',
    // kernel log: envelopes, records, the OOM parser
    'src/kernellog/envelope.ts',
    'src/kernellog/escapes.ts',
    'src/kernellog/kmsg-record.ts',
    'src/kernellog/journal-record.ts',
    'src/kernellog/parse.ts',
    'src/kernellog/report-tables.ts',
    'src/kernellog/lines.ts',
    // the metric writer and escaping
    'src/exposition/*.ts',
    // config
    'src/config.ts',
    'src/flags.ts',
    'src/size.ts',
    // selection, the kill store and formatting
    'src/collectors/selection.ts',
    'src/kills/store.ts',
    'src/kills/format.ts',
  ],
  // Dangling symlinks (as kubelet makes them) cannot be copied into the sandbox: test/mutation/kubelet-fixtures.ts links them.
  ignorePatterns: ['/test/fixtures/kubelet'],
  coverageAnalysis: 'perTest',
  // Two workers: the machine has two cores, shared with other work.
  concurrency: 2,
  thresholds: { high: 90, low: 85, break: 85 },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Incremental: a run reuses the result of every mutant whose code and covering tests did not change
  // since the last run (reports/stryker-incremental.json), so a run after a small change takes seconds.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
