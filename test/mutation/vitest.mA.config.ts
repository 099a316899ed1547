import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

process.env.TZ = 'Asia/Kolkata';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: [
      'test/kernellog/corpus.test.ts',
      'test/kernellog/envelope.test.ts',
      'test/kernellog/journal-record.test.ts',
      'test/kernellog/lines.test.ts',
      'test/kernellog/parse.test.ts',
      'test/kernellog/parse-rules.test.ts',
      'test/kernellog/parse-context.test.ts',
      'test/kernellog/property.test.ts',
      'test/kernellog/report-tables.test.ts',
    ],
    testTimeout: 60_000,
  },
});
