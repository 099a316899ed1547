#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// A 1 MiB young-generation semi-space and V8 tuned for size keep the exporter's RSS flat and under
// 100 MB at 10,000 processes: by default V8 grows the semi-spaces to 16 MiB each while a scrape runs
// (bench/, README, Performance).
import type { FastifyInstance } from 'fastify';
import { FlagError, helpText, parseConfig, type ListenAddress } from './config.js';
import { createLogger } from './log.js';
import { checkProcfs } from './procfs/check.js';
import { COLLECTOR_FLAGS, createCollection } from './registry.js';
import { buildServer } from './server.js';
import { createKillStore } from './kills/store.js';
import { VERSION } from './version.js';
import { runKills } from './kills/command.js';

/**
 * An empty host means every address: IPv6 "::" (which takes IPv4 too), or 0.0.0.0 on hosts where
 * IPv6 is disabled and "::" cannot be bound.
 */
async function listen(app: FastifyInstance, addr: ListenAddress): Promise<void> {
  if (addr.host !== '') {
    await app.listen({ host: addr.host, port: addr.port });
    return;
  }
  try {
    await app.listen({ host: '::', port: addr.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
    await app.listen({ host: '0.0.0.0', port: addr.port });
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'kills') {
    return runKills(argv.slice(1), (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(COLLECTOR_FLAGS));
    return 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`oom-exporter ${VERSION} (node ${process.version})\n`);
    return 0;
  }

  let config;
  try {
    config = parseConfig(argv, COLLECTOR_FLAGS);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`oom-exporter: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.logLevel, config.logFormat);

  const procfsProblem = checkProcfs(config.procfs);
  if (procfsProblem) {
    log.error(procfsProblem);
    process.stderr.write(`oom-exporter: ${procfsProblem}\n`);
    return 1;
  }

  const kills = createKillStore();
  const collection = await createCollection({ config, log, kills });

  if (config.once) {
    const lease = await collection.scrape();
    await new Promise<void>((resolve, reject) => process.stdout.write(lease.body, (err) => (err ? reject(err) : resolve())));
    lease.release();
    await collection.close();
    return 0;
  }

  let app;
  try {
    app = buildServer({ config, collection, log });
    await listen(app, config.listen);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
    process.stderr.write(`oom-exporter: cannot listen on ${config.listen.host}:${config.listen.port}: ${why}\n`);
    // The kernel-log follower may run a journalctl child: stop it, or it keeps this process alive.
    await collection.close();
    return 1;
  }
  const addr = app.server.address();
  log.info('listening', { address: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : String(addr), version: VERSION });

  return new Promise<number>((resolve) => {
    let closing = false;
    const shutdown = (signal: string): void => {
      if (closing) return;
      closing = true;
      log.info('shutting down', { signal });
      app
        .close()
        .then(() => collection.close())
        .then(
          () => resolve(0),
          (err: unknown) => {
            log.error('error while shutting down', { err: (err as Error).message });
            resolve(1);
          },
        );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
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
