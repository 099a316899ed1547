import type { AnySourceDefinition } from '../../../src/kernellog/sources/index.js';
import type { KernelLogSource, RecordSink, SourceDefinition } from '../../../src/kernellog/sources/source.js';
import type { LogRecord } from '../../../src/kernellog/types.js';

/** A kernel kill line without a report around it. */
export const FAKE_KILLED = 'Out of memory: Killed process 4242 (victim) total-vm:1024kB, anon-rss:512kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0';

export interface FakePosition {
  source: 'fake';
  n: number;
}

/**
 * A source that exists only in a test's table: its log is `log` (its position is how many records were
 * read), `auto` finds it usable, and it counts what the follower and `auto` asked of it.
 */
export function fakeSource(log: string[]) {
  const calls = { probes: 0, live: [] as (FakePosition | undefined)[], backlogs: 0 };
  const record = (message: string): LogRecord => ({ message, fromKernel: true, identifier: null, time: null, uptimeSeconds: null });
  const definition: SourceDefinition<FakePosition> = {
    name: 'fake',
    readsFile: false,
    async probe() {
      calls.probes++;
      return { usable: true };
    },
    live(_settings, resume) {
      calls.live.push(resume);
      let n = resume?.n ?? log.length;
      let sink: RecordSink | null = null;
      const source: KernelLogSource<FakePosition> = {
        name: 'fake',
        userspaceKillers: false,
        start(s) {
          sink = s;
        },
        drain() {
          while (n < log.length) sink?.record(record(log[n++]!), false);
        },
        up: () => true,
        position: () => ({ source: 'fake', n }),
        async stop() {},
      };
      return source;
    },
    backlog() {
      calls.backlogs++;
      return {
        userspaceKillers: false,
        async read(sink) {
          for (const m of log) sink.record(record(m), false);
        },
      };
    },
    parsePosition(saved) {
      const n = saved['n'];
      return typeof n === 'number' ? { source: 'fake', n } : null;
    },
    mismatch: () => null,
  };
  // The registered names are the real ones; a test table may hold any other.
  return { definition: definition as unknown as AnySourceDefinition, calls };
}
