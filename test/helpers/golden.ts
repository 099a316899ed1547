import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * A checked-in golden file's text. `UPDATE_GOLDEN=1` writes `got` to it first (never in CI); a missing
 * golden file is a failure, not a file to write: a test that wrote what it then compares with would
 * pass against itself.
 */
export function golden(path: string, got: string): string {
  if (process.env.UPDATE_GOLDEN === '1') {
    if (process.env.CI === 'true') throw new Error('golden files must be checked in, not generated in CI');
    writeFileSync(path, got);
  }
  if (!existsSync(path)) throw new Error(`${path} is missing: it must be checked in (UPDATE_GOLDEN=1 npm test writes it from this build's output)`);
  return readFileSync(path, 'utf8');
}
