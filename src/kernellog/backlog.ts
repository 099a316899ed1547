import { createOomParser } from './parse.js';
import { mayReportKill, type Backlog } from './sources/source.js';
import type { OomKill } from './types.js';

/** Where streamKills hands each kill, as soon as the parser has it. */
export interface KillSink {
  kill(kill: OomKill): void;
  /** As BacklogSink.ready: a promise while the sink cannot take more (its output is full), else null. */
  ready?(): Promise<void> | null;
}

/**
 * The kills in a source's backlog, in log order, each handed to `sink` as it is found: the one path of
 * `oom-exporter kills` from records to kills, for the live log (sources/index.ts: each source's backlog)
 * and for --file alike. Records stream through the parser as the source reads them and nothing is kept
 * but the parser's report in progress, so memory stays flat however many kills the log holds. At the
 * end, the kills the parser still holds (a kill line whose continuation never came) are handed on too. The rules
 * are the follower's: a record not from the kernel reaches the parser only from a source where userspace
 * killers log, and a loss ends the report in progress. Resolves once the backlog is read; rejects with the
 * backlog's first error (a backlog that read past an error may have missed kills: the list would look
 * complete and not be), or with what the sink threw (which stops the read).
 */
export async function streamKills(backlog: Backlog, sink: KillSink): Promise<void> {
  const parser = createOomParser();
  const failures: Error[] = [];
  await backlog.read({
    record(rec) {
      if (!mayReportKill(rec, backlog)) return;
      const kill = parser.push(rec);
      if (kill !== null) sink.kill(kill);
    },
    lost: () => parser.reset(),
    error: (e) => failures.push(e),
    ready: () => sink.ready?.() ?? null,
  });
  const [failure] = failures;
  if (failure !== undefined) throw failure;
  for (const kill of parser.flush()) sink.kill(kill);
}

/** All the kills of a backlog at once, for one known to be small (a test's lines, a fixture). */
export async function killsIn(backlog: Backlog): Promise<OomKill[]> {
  const kills: OomKill[] = [];
  await streamKills(backlog, { kill: (k) => kills.push(k) });
  return kills;
}
