import { setFlagsFromString } from 'node:v8';

/**
 * V8 tuned for a small, flat RSS, applied by the program itself so it holds however it is started
 * (`node dist/cli.js`, the bin, npm start, a service file, a container's command).
 *
 * By default V8 grows each young-generation semi-space from 1 MiB to 16 MiB while a scrape allocates,
 * which at 10,000 processes was ~20 MB of the exporter's RSS. --max-semi-space-size only works on
 * the command line (the heap is sized before any code runs), but the growth factor is read each time
 * the young generation would grow: at 1 it never grows past its initial 1 MiB semi-spaces, which is
 * what --max-semi-space-size=1 gave. --optimize-for-size is read as V8 goes (heap growing, compiler
 * choices), so setting it here still counts.
 *
 * Imported first by cli.ts, so it runs before any other module of ours allocates.
 */
export const V8_SETTINGS: readonly string[] = ['--semi-space-growth-factor=1', '--optimize-for-size'];

for (const flag of V8_SETTINGS) setFlagsFromString(flag);
