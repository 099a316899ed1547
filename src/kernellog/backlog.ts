import { createOomParser } from './parse.js';
import { mayReportKill, type Backlog } from './sources/source.js';
import type { OomKill } from './types.js';

/**
 * The kills in a source's backlog, in log order: the one path of `oom-exporter kills` from records to
 * kills, for the live log (sources/index.ts: each source's backlog) and for --file alike. Records stream
 * through the parser as the source reads them; only the kills are kept. The rules are the follower's: a
 * record not from the kernel reaches the parser only from a source where userspace killers log, and a
 * loss ends the report in progress. At the end, the kills the parser still holds (a kill line whose
 * continuation never came) are listed too.
 */
export async function killsIn(backlog: Backlog): Promise<OomKill[]> {
  const parser = createOomParser();
  const kills: OomKill[] = [];
  const failures: Error[] = [];
  await backlog.read({
    record(rec) {
      if (!mayReportKill(rec, backlog)) return;
      const kill = parser.push(rec);
      if (kill !== null) kills.push(kill);
    },
    lost: () => parser.reset(),
    // A backlog that read past an error may have missed kills: the list would look complete and not be.
    error: (e) => failures.push(e),
  });
  const [failure] = failures;
  if (failure !== undefined) throw failure;
  kills.push(...parser.flush());
  return kills;
}
