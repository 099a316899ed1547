#!/usr/bin/env node
// V8 settings first, before any other module allocates: they hold however the program is started.
import './v8-settings.js';
import { FlagError, helpText, parseConfig } from './config.js';
import { runExporter } from './exporter.js';
import { runKills } from './kills/command.js';
import { runTop } from './top/command.js';
import { VERSION } from './version.js';

const write =
  (stream: NodeJS.WriteStream) =>
  (s: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => stream.write(s, (err) => (err ? reject(err) : resolve())));

/** Dispatches: `kills`, `top`, --help, --version, else the exporter. Returns the exit code. */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'kills') {
    return runKills(argv.slice(1), process.stdout, (s) => process.stderr.write(s));
  }
  if (argv[0] === 'top') {
    return runTop(argv.slice(1), { stdout: process.stdout, stdin: process.stdin, err: (s) => process.stderr.write(s) });
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText());
    return 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`oom-exporter ${VERSION} (node ${process.version})\n`);
    return 0;
  }
  let config;
  try {
    config = parseConfig(argv);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`oom-exporter: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  return runExporter(config, { stdout: write(process.stdout), stderr: (s) => process.stderr.write(s) });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`oom-exporter: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
