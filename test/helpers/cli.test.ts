import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleBuild } from './cli.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A checkout with src/ and dist/, each file's modification time given in seconds. */
function checkout(files: Record<string, number>): string {
  dir = mkdtempSync(join(tmpdir(), 'oom-stale-'));
  for (const [path, seconds] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, '');
    utimesSync(full, seconds, seconds);
  }
  return dir;
}

describe('the end-to-end tests refuse a stale dist/', () => {
  it('accepts a dist/ built after every module of src/ (type declarations have no output)', () => {
    expect(staleBuild(checkout({ 'src/cli.ts': 100, 'src/web/app.ts': 100, 'src/types/x.d.ts': 300, 'dist/cli.js': 200, 'dist/web/app.js': 200 }))).toBeUndefined();
  });

  it('names the module changed after its build, and the one never built', () => {
    expect(staleBuild(checkout({ 'src/cli.ts': 100, 'src/web/app.ts': 300, 'dist/cli.js': 200, 'dist/web/app.js': 200 }))).toBe(
      'src/web/app.ts changed after dist/web/app.js was built',
    );
    expect(staleBuild(checkout({ 'src/cli.ts': 100, 'src/new.ts': 100, 'dist/cli.js': 200 }))).toBe('dist/new.js is missing');
  });
});
