// `oom-exporter kills` as people run it, the built CLI with a pipe on each side: it prints kills while
// the log is still coming (so it does not keep them), and a reader that leaves early (`| head`) ends it
// quietly. npm test builds dist/ first.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { builtCli, REPO } from '../helpers/cli.js';
import { killLog, victim } from '../helpers/kill-log.js';

const running: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill();
});

/** The CLI reading standard input, with what it printed so far. */
function kills(args: string[]) {
  const child = spawn(process.execPath, [builtCli(), 'kills', '--file', '-', ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  // EPIPE once it stops reading: the tests look at its exit instead.
  child.stdin.on('error', () => {});
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, out: () => out, err: () => err, exit };
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('kills, the built CLI between two pipes', () => {
  it('prints the kills of the first half of a log while the second has not been written: it keeps none of them', async () => {
    const k = kills(['--json']);
    k.child.stdin.write(killLog(0, 10_000));
    // Standard input stays open: everything printed now was printed before the log ended.
    await vi.waitFor(() => expect(lines(k.out())).toHaveLength(10_000), { timeout: 30_000, interval: 50 });
    expect(k.child.exitCode).toBeNull();
    expect(JSON.parse(lines(k.out())[0]!)).toMatchObject(victim(0));
    k.child.stdin.end(killLog(10_000, 10_000));
    expect((await k.exit)[0]).toBe(0);
    const all = lines(k.out()).map((l) => JSON.parse(l) as { pid: number; comm: string });
    expect(all).toHaveLength(20_000);
    expect(all[19_999]).toMatchObject(victim(19_999));
    expect(new Set(all.map((x) => x.pid)).size).toBe(20_000);
    expect(k.err()).toBe('');
  });

  it('prints the table as it goes: rows held to size the columns come out once the input pauses', async () => {
    const k = kills([]);
    k.child.stdin.write(killLog(0, 3));
    // Three rows, far fewer than the table holds to size its columns: they come out because nothing more does.
    await vi.waitFor(() => expect(lines(k.out())).toHaveLength(4), { timeout: 30_000, interval: 50 });
    expect(lines(k.out())[0]).toMatch(/^TIME +PID +COMM/);
    k.child.stdin.end(killLog(3, 2));
    expect((await k.exit)[0]).toBe(0);
    const rows = lines(k.out());
    expect(rows).toHaveLength(6);
    expect(rows.slice(1).map((r) => r.split(/ {2,}/)[1])).toEqual([0, 1, 2, 3, 4].map((i) => String(victim(i).pid)));
  });

  it('ends quietly, exit code 0, when its reader goes away (| head), though the log goes on', async () => {
    const k = kills(['--json']);
    let first = '';
    k.child.stdout.once('data', (c: string) => {
      first = c;
      k.child.stdout.destroy();
    });
    // Feed the log for as long as the CLI reads it.
    const feeding = (async () => {
      for (let i = 0; k.child.exitCode === null && k.child.stdin.writable; i += 1000) {
        if (!k.child.stdin.write(killLog(i, 1000))) await Promise.race([once(k.child.stdin, 'drain').catch(() => {}), k.exit]);
      }
    })();
    const [code] = await k.exit;
    await feeding;
    expect(code).toBe(0);
    expect(k.err()).toBe('');
    expect(JSON.parse(first.split('\n')[0]!)).toMatchObject(victim(0));
  });
});
