import { expect, it } from 'vitest';
import { parseLine } from '../../src/kernellog/envelope.js';

// A file of its own: envelope.ts keeps the last RFC 3164 stamp it read, per module, and this test needs the
// module fresh, before any other line was read (vitest gives each test file its own modules).
it('reads the first RFC 3164 line of a process, read without a "now", with its own stamp', () => {
  // January 1st of this year is never in the future, so it keeps this year.
  const year = new Date().getFullYear();
  expect(parseLine('Jan  1 00:00:00 host kernel: x')).toEqual({
    message: 'x',
    fromKernel: true,
    identifier: 'kernel',
    time: new Date(year, 0, 1).toISOString(),
    uptimeSeconds: null,
    escapes: 'kmsg',
  });
});
