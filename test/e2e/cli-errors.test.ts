import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/proc', import.meta.url));

describe('the CLI on bad input', () => {
  const cases: [string[], RegExp][] = [
    [['--no-such-flag'], /^oom-exporter: unknown flag --no-such-flag\n$/],
    [['--process.include=(unclosed'], /^oom-exporter: invalid regular expression for --process\.include: .*\n$/],
    [['--process.min-rss=12 parsecs'], /^oom-exporter: invalid --process\.min-rss "12 parsecs".*\n$/],
    [['--web.listen-address=999.1:x'], /^oom-exporter: invalid --web\.listen-address "999\.1:x".*\n$/],
    [['--collector.nope'], /^oom-exporter: unknown collector in --collector\.nope.*\n$/],
    [['--web.listen-address=256.1.1.1:19857'], /^oom-exporter: invalid --web\.listen-address "256\.1\.1\.1:19857".*\n$/],
    [['--web.max-requests=-1'], /^oom-exporter: invalid --web\.max-requests "-1": want a whole number >= 0 \(0: no limit\)\n$/],
    [['--web.max-connections=lots'], /^oom-exporter: invalid --web\.max-connections "lots".*\n$/],
    [['--web.listen-address=[::g]:19857'], /^oom-exporter: invalid --web\.listen-address "\[::g\]:19857".*\n$/],
  ];
  for (const [args, message] of cases) {
    it(`exits 2 with one line naming the flag: ${args.join(' ')}`, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  }

  it('exits 1 with one clear line when --path.procfs is not a procfs', async () => {
    const r = await runCli(['--path.procfs=/etc', '--once']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('oom-exporter: --path.procfs /etc is not a procfs: /etc/meminfo does not exist\n');
  });

  it.each([
    ['192.0.2.1:0', 'no interface of this host has that address'],
    ['no-such-host.invalid:0', 'the host name does not resolve'],
  ])('exits 2 naming --web.listen-address when %s cannot be listened on', async (address, why) => {
    const r = await runCli([`--web.listen-address=${address}`, `--path.procfs=${FIXTURE}`, '--kernel-log.source=none', '--log.level=warn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`oom-exporter: invalid --web.listen-address: cannot listen on ${address}: ${why}\n`);
  });

  it('exits 1 with a clear message when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli([`--web.listen-address=127.0.0.1:${port}`, `--path.procfs=${FIXTURE}`, '--kernel-log.source=none']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}: address already in use`);
    } finally {
      blocker.close();
    }
  });

  it('prints help and version', async () => {
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--web.listen-address');
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^oom-exporter \d+\.\d+\.\d+/);
  });

  it('--once prints one scrape and exits 0', async () => {
    const r = await runCli(['--once', `--path.procfs=${FIXTURE}`, '--kernel-log.source=none', '--web.disable-exporter-metrics']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('oom_process_score{pid="100",comm="python3",cgroup="/system.slice/app.service"} 667');
  });
});
