import { describe, expect, it } from 'vitest';
import { acceptsGzip } from '../../src/web/encoding.js';

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    // Prometheus' own header.
    ['gzip', true],
    ['deflate, gzip;q=1.0, *;q=0.5', true],
    ['x-gzip', true],
    ['GZIP;Q=0.5', true],
    ['gzip;q=0', false],
    ['gzip;Q=0', false],
    ['gzip ; q = 0', false],
    ['gzip;q=0.000', false],
    ['gzip;q=nonsense', false],
    ['identity', false],
    ['', false],
    ['*', true],
    ['*;q=0', false],
    // An explicit gzip decides, whatever * says.
    ['*;q=1, gzip;q=0', false],
    ['gzip;q=0.1, *;q=0', true],
    ['br;q=1, identity;q=0.5', false],
  ])('%j -> %s', (header, want) => {
    expect(acceptsGzip(header)).toBe(want);
  });
});
