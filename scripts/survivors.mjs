// The pure half of check-survivors.mjs: match a Stryker JSON report against the equivalent-mutants list.
//
// The list is Markdown: a `## path/to/file.ts` heading per source file, then one line per mutant:
//   - L218 EqualityOperator `a < b`: why this cannot change what the code does
// The line number, mutator name and replacement (whitespace collapsed) identify the mutant; a
// replacement holding a backtick is written between double backticks, as Markdown does.

/** Whitespace runs to one space, so a multi-line replacement is written on one line. */
export function normalize(code) {
  return code.replace(/\s+/g, ' ').trim();
}

const ENTRY = /^- L(\d+) ([A-Za-z]+) (`+) ?(.*?) ?\3: (.*\S.*)$/;
const HEADING = /^## (\S+)\s*$/;

/** Parse the list; malformed lines are errors (named by line number), never skipped. */
export function parseList(text) {
  const entries = [];
  const errors = [];
  let file = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    const h = HEADING.exec(line);
    if (h) {
      file = h[1];
      return;
    }
    if (!line.startsWith('- ')) return;
    const m = ENTRY.exec(line);
    if (!m) {
      errors.push(`line ${i + 1}: expected "- L<line> <Mutator> \`<replacement>\`: <reason>", got "${line}"`);
      return;
    }
    if (file === null) {
      errors.push(`line ${i + 1}: entry before any "## <file>" heading`);
      return;
    }
    entries.push({ file, line: Number(m[1]), mutator: m[2], replacement: normalize(m[4]), reason: m[5].trim() });
  });
  return { entries, errors };
}

const key = (e) => `${e.file}\0${e.line}\0${e.mutator}\0${e.replacement}`;

/** Survivors (Survived or NoCoverage) of a mutation-testing-report-schema JSON report. */
export function survivorsOf(report) {
  return mutantsWith(report, 'Survived', 'NoCoverage');
}

/** The report's mutants with one of these statuses, as list entries name them. */
function mutantsWith(report, ...statuses) {
  const out = [];
  for (const [file, f] of Object.entries(report.files ?? {})) {
    for (const m of f.mutants) {
      if (!statuses.includes(m.status)) continue;
      out.push({
        file,
        line: m.location.start.line,
        mutator: m.mutatorName,
        replacement: normalize(m.replacement ?? ''),
        status: m.status,
      });
    }
  }
  return out;
}

export function checkSurvivors(report, listText) {
  const { entries, errors } = parseList(listText);
  const survivors = survivorsOf(report);
  const listed = new Map();
  for (const e of entries) {
    // The same mutator can make the same replacement twice on one line (a condition used twice):
    // count them, so one entry does not excuse two survivors.
    listed.set(key(e), [...(listed.get(key(e)) ?? []), e]);
  }
  const unlisted = [];
  for (const s of survivors) {
    const left = listed.get(key(s));
    if (left && left.length > 0) left.pop();
    else unlisted.push(s);
  }
  // An entry for a file the report did not mutate (a partial run) is not judged stale. Nor is one whose
  // mutant timed out: Stryker's timeout is the baseline run time times a factor, so on a loaded machine an
  // equivalent mutant can run out of time without any test failing. It is named, not counted as a kill.
  const inReport = new Set(Object.keys(report.files ?? {}));
  const timeouts = new Map();
  for (const t of mutantsWith(report, 'Timeout')) timeouts.set(key(t), (timeouts.get(key(t)) ?? 0) + 1);
  const stale = [];
  const timedOut = [];
  for (const e of [...listed.values()].flat()) {
    if (!inReport.has(e.file)) continue;
    const n = timeouts.get(key(e)) ?? 0;
    if (n > 0) {
      timeouts.set(key(e), n - 1);
      timedOut.push(e);
    } else stale.push(e);
  }
  return { survivors: survivors.length, listed: entries.length, unlisted, stale, timedOut, errors };
}
