#!/usr/bin/env node
// After `stryker run`: every mutant that survived (or that no test covers) must be listed, with a
// reason, in test/mutation/equivalent-mutants.md; every entry there must still be a survivor. A new
// survivor is a change to the code no test notices, so the run fails until a test kills it or someone
// explains why it cannot change behaviour. A stale entry fails too, so the list stays true.
//
// Usage: node scripts/check-survivors.mjs [report.json] [equivalent-mutants.md]
import { readFileSync } from 'node:fs';
import { checkSurvivors } from './survivors.mjs';

const [reportPath = 'reports/mutation/mutation.json', listPath = 'test/mutation/equivalent-mutants.md'] = process.argv.slice(2);

let report;
let list;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (err) {
  console.error(`check-survivors: cannot read the mutation report ${reportPath}: ${err.message}`);
  process.exit(2);
}
try {
  list = readFileSync(listPath, 'utf8');
} catch (err) {
  console.error(`check-survivors: cannot read ${listPath}: ${err.message}`);
  process.exit(2);
}

const result = checkSurvivors(report, list);
for (const e of result.errors) console.error(`check-survivors: ${listPath}: ${e}`);
for (const s of result.unlisted) {
  console.error(`check-survivors: not killed and not listed: ${s.file} L${s.line} ${s.mutator} \`${s.replacement}\` (${s.status})`);
}
for (const s of result.stale) {
  console.error(`check-survivors: listed but no longer surviving: ${s.file} L${s.line} ${s.mutator} \`${s.replacement}\``);
}
for (const t of result.timedOut) {
  console.log(`check-survivors: listed, timed out this run (not a kill; a loaded machine?): ${t.file} L${t.line} ${t.mutator} \`${t.replacement}\``);
}
const bad = result.errors.length + result.unlisted.length + result.stale.length;
console.log(
  `check-survivors: ${result.survivors} survivors, ${result.listed} listed as equivalent` +
    (bad === 0 ? ', all accounted for' : `, ${result.unlisted.length} unlisted, ${result.stale.length} stale`),
);
process.exit(bad === 0 ? 0 : 1);
