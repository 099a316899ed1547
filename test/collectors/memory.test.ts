import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readHostMemory } from '../../src/collectors/memory.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function meminfo(text: string): string {
  dir = mkdtempSync(join(tmpdir(), 'oom-meminfo-'));
  writeFileSync(join(dir, 'meminfo'), text);
  return dir;
}

describe('readHostMemory', () => {
  it('reports MemAvailable: 0 as 0, the moment before an OOM kill, not free + caches', () => {
    const m = readHostMemory(meminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 0 kB\nBuffers: 50 kB\nCached: 50 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n'));
    expect(m.availableBytes).toBe(0);
    expect(m.totalBytes).toBe(1000 * 1024);
  });

  it('estimates available memory on kernels before 3.14, which have no MemAvailable', () => {
    const m = readHostMemory(meminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 20 kB\nSlab: 5 kB\nSwapTotal: 300 kB\nSwapFree: 100 kB\n'));
    expect(m.availableBytes).toBe(135 * 1024);
    expect(m.swapUsedBytes).toBe(200 * 1024);
  });

  it('names the file when it cannot be read or is not meminfo', () => {
    expect(() => readHostMemory('/nonexistent')).toThrow('/nonexistent/meminfo');
    expect(() => readHostMemory(meminfo('Nothing: 1\n'))).toThrow(/has no MemTotal/);
  });
});
