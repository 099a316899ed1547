import { describe, expect, it } from 'vitest';
import { checkSurvivors, parseList } from '../../scripts/survivors.mjs';

/** A report in mutation-testing-report-schema's shape, as Stryker's JSON reporter writes it. */
function report(mutants: { line: number; mutator: string; replacement: string; status: string }[]) {
  return {
    files: {
      'src/a.ts': {
        mutants: mutants.map((m, i) => ({
          id: String(i),
          mutatorName: m.mutator,
          replacement: m.replacement,
          status: m.status,
          location: { start: { line: m.line, column: 1 }, end: { line: m.line, column: 9 } },
        })),
      },
    },
  };
}

const LIST = `# Equivalent mutants
## src/a.ts
- L3 EqualityOperator \`a <= b\`: the loop stops at the same element either way
- L7 LogicalOperator \`x || y\`: y is never set without x
`;

describe('check-survivors: every survivor is killed or listed with a reason', () => {
  it('passes when each survivor has its entry, killed mutants need none', () => {
    const r = checkSurvivors(
      report([
        { line: 3, mutator: 'EqualityOperator', replacement: 'a <= b', status: 'Survived' },
        { line: 7, mutator: 'LogicalOperator', replacement: 'x ||\n    y', status: 'NoCoverage' },
        { line: 9, mutator: 'StringLiteral', replacement: '""', status: 'Killed' },
      ]),
      LIST,
    );
    expect(r).toMatchObject({ survivors: 2, listed: 2, unlisted: [], stale: [], errors: [] });
  });

  it('names a survivor that is not listed, and an entry that no longer survives', () => {
    const r = checkSurvivors(
      report([
        { line: 3, mutator: 'EqualityOperator', replacement: 'a <= b', status: 'Survived' },
        { line: 7, mutator: 'LogicalOperator', replacement: 'x || y', status: 'Killed' },
        { line: 8, mutator: 'ConditionalExpression', replacement: 'true', status: 'Survived' },
      ]),
      LIST,
    );
    expect(r.unlisted).toEqual([{ file: 'src/a.ts', line: 8, mutator: 'ConditionalExpression', replacement: 'true', status: 'Survived' }]);
    expect(r.stale).toMatchObject([{ file: 'src/a.ts', line: 7, mutator: 'LogicalOperator' }]);
  });

  it('names, but does not fail on, a listed mutant that timed out this run (a loaded machine, not a kill)', () => {
    const r = checkSurvivors(
      report([
        { line: 3, mutator: 'EqualityOperator', replacement: 'a <= b', status: 'Timeout' },
        { line: 7, mutator: 'LogicalOperator', replacement: 'x || y', status: 'Survived' },
      ]),
      LIST,
    );
    expect(r).toMatchObject({ unlisted: [], stale: [], timedOut: [{ file: 'src/a.ts', line: 3, mutator: 'EqualityOperator' }] });
    // A timeout excuses its own entry only: another entry without a survivor is still stale.
    const other = checkSurvivors(report([{ line: 9, mutator: 'EqualityOperator', replacement: 'a <= b', status: 'Timeout' }]), LIST);
    expect(other.timedOut).toEqual([]);
    expect(other.stale).toHaveLength(2);
    // And one timeout excuses one entry: two identical entries need two.
    const twice = `${LIST}- L3 EqualityOperator \`a <= b\`: listed twice, for a condition used twice\n`;
    const once = checkSurvivors(report([{ line: 3, mutator: 'EqualityOperator', replacement: 'a <= b', status: 'Timeout' }]), twice);
    expect(once.timedOut).toHaveLength(1);
    expect(once.stale).toMatchObject([{ line: 3 }, { line: 7 }]);
  });

  it('one entry excuses one survivor: two identical survivors on a line need two entries', () => {
    const twice = { line: 3, mutator: 'EqualityOperator', replacement: 'a <= b', status: 'Survived' };
    expect(checkSurvivors(report([twice, twice]), LIST).unlisted).toHaveLength(1);
  });

  it('leaves entries of files the report did not mutate alone (a partial run)', () => {
    const list = `${LIST}## src/b.ts\n- L1 BooleanLiteral \`false\`: never read\n`;
    const r = checkSurvivors(report([{ line: 3, mutator: 'EqualityOperator', replacement: 'a <= b', status: 'Survived' }]), list);
    expect(r.stale.map((e: { file: string }) => e.file)).toEqual(['src/a.ts']);
  });

  it('refuses an entry without a reason or before any file heading, naming its line', () => {
    expect(parseList('- L1 BooleanLiteral `false`: x').errors).toEqual(['line 1: entry before any "## <file>" heading']);
    const { errors } = parseList('## src/a.ts\n- L1 BooleanLiteral `false`\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^line 2: expected/);
  });

  it('reads a replacement holding a backtick between double backticks', () => {
    const { entries } = parseList('## src/a.ts\n- L4 StringLiteral `` `x` ``: a template never shown\n');
    expect(entries).toEqual([{ file: 'src/a.ts', line: 4, mutator: 'StringLiteral', replacement: '`x`', reason: 'a template never shown' }]);
  });
});
