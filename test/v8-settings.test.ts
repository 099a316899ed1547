import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SETTINGS = fileURLToPath(new URL('../dist/v8-settings.js', import.meta.url));

/**
 * Allocates short-lived objects the way a scrape does, in a plain `node` with no flags, and returns
 * V8's young-generation size afterwards (bytes). With the settings imported first, as cli.ts does.
 */
function youngGenerationAfterChurn(withSettings: boolean): number {
  const script = `
    ${withSettings ? `await import(${JSON.stringify(SETTINGS)});` : ''}
    const v8 = await import('node:v8');
    let keep = [];
    for (let i = 0; i < 3e6; i++) { keep.push({ a: i, b: 'x' + i }); if (keep.length > 200000) keep = []; }
    process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return Number(r.stdout);
}

describe('V8 settings', () => {
  it('keep the young generation at its initial size in a plain `node` (no command-line flags)', () => {
    const MiB = 1024 * 1024;
    // The control: Node's defaults grow it to tens of MiB under the same churn.
    expect(youngGenerationAfterChurn(false)).toBeGreaterThan(8 * MiB);
    expect(youngGenerationAfterChurn(true)).toBeLessThanOrEqual(4 * MiB);
  });

  it('are imported first by the CLI, before any other module', async () => {
    const { readFileSync } = await import('node:fs');
    const cli = readFileSync(fileURLToPath(new URL('../src/cli.ts', import.meta.url)), 'utf8');
    const firstImport = /^import .*$/m.exec(cli)?.[0];
    expect(firstImport).toBe("import './v8-settings.js';");
  });
});
