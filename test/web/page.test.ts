import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { buildExporter, type Exporter } from '../../src/exporter.js';
import { HTML_CSP } from '../../src/web/hardening.js';

const PROCFS = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
const CGROUPFS = fileURLToPath(new URL('../fixtures/cgroup/v2/sys/fs/cgroup', import.meta.url));
const DOCKER_ID = 'd0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98';
const KILLED = `/system.slice/docker-${DOCKER_ID}.scope`;

const report = (pid: number, comm: string, uptime: number): string =>
  [
    `Nov 30 12:00:00 host kernel: [  ${uptime.toFixed(6)}] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=${KILLED},task_memcg=${KILLED},task=${comm},pid=${pid},uid=0`,
    `Nov 30 12:00:00 host kernel: [  ${(uptime + 0.0001).toFixed(6)}] Memory cgroup out of memory: Killed process ${pid} (${comm}) total-vm:1000kB, anon-rss:900kB, file-rss:4kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0`,
  ].join('\n');

const quietIo = { stdout: async () => {}, stderr: () => {}, logLine: () => {} };
let tmp: string | undefined;
let exporter: Exporter | undefined;
afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

async function start(lines: string[], extra: string[] = []): Promise<Exporter> {
  tmp = mkdtempSync(join(tmpdir(), 'oom-page-'));
  const log = join(tmp, 'kern.log');
  writeFileSync(log, '');
  const config = parseConfig([
    `--path.procfs=${PROCFS}`,
    `--path.cgroupfs=${CGROUPFS}`,
    '--kernel-log.source=file',
    `--kernel-log.file=${log}`,
    '--log.level=error',
    ...extra.map((e) => e.replace('TMP', tmp!)),
  ]);
  exporter = await buildExporter(config, quietIo);
  if (lines.length > 0) appendFileSync(log, lines.join('\n') + '\n');
  await exporter.app.inject({ url: '/metrics' });
  return exporter;
}

/** The text of the tbody with this id, one string per row, cells joined by " | " (tags dropped). */
function rows(html: string, id: string): string[] {
  const body = new RegExp(`<tbody id="${id}">(.*?)</tbody>`, 's').exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>(.*?)<\/tr>/gs)].map((m) => [...m[1]!.matchAll(/<td>(.*?)<\/td>/gs)].map((c) => c[1]).join(' | '));
}

describe('the console at /, without JavaScript', () => {
  it('shows the kills newest first, escaped, with where, constraint, killer and memory at death', async () => {
    const e = await start([report(4242, 'victim-a', 100), report(4243, '<i>x</i>', 101)]);
    const res = await e.app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(HTML_CSP);
    expect(res.body).not.toContain('<i>');
    // "Nov 30 12:00:00" has no zone: this machine's local time, shown in UTC.
    const shown = `${new Date(2026, 10, 30, 12).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    expect(rows(res.body, 'kills-body')).toEqual([
      `${shown} | &#60;i&#62;x&#60;/i&#62; (4243) | container ${DOCKER_ID.slice(0, 12)} · ${KILLED} | memcg | kernel | RSS 904.0 KiB | –`,
      `${shown} | victim-a (4242) | container ${DOCKER_ID.slice(0, 12)} · ${KILLED} | memcg | kernel | RSS 904.0 KiB | –`,
    ]);
    expect(res.body).toMatch(/<p id="kills-empty" hidden>/);
  });

  it('shows host memory, swap and pressure, the next victims, the kernel log and the links', async () => {
    const e = await start([]);
    const html = (await e.app.inject({ url: '/' })).body;
    expect(html).toContain('<dt>Memory used</dt><dd>2.1 GiB of 23.4 GiB (9%)</dd>');
    expect(html).toContain('<dt>Swap used</dt><dd>512.0 MiB of 2.0 GiB (25%)</dd>');
    expect(html).toContain('<dt>Pressure (10 s)</dt><dd>some 0.12%, full 0.00%</dd>');
    expect(html).toContain('<dt>Kernel log</dt><dd>file, up</dd>');
    expect(html).toContain('<dt>Records lost</dt><dd>0</dd>');
    const procs = rows(html, 'procs-body');
    expect(procs.length).toBeGreaterThan(0);
    // Fixture /proc: PID 100 is python3 in /system.slice/app.service.
    expect(procs.some((r) => r.startsWith('100 | python3 | /system.slice/app.service |'))).toBe(true);
    expect(html).toMatch(/<p id="kills-empty">No kill/);
    for (const href of ['/metrics', '/healthz', '/api/v1/kills', '/api/v1/processes', '/api/v1/status', '/api/v1/events']) {
      expect(html).toContain(`<a href="${href}">`);
    }
    expect(html).toContain('<script src="/static/page.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/static/page.css">');
    // No request leaves the host: every src and href is a path of ours.
    for (const m of html.matchAll(/(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^\/[^/]/);
  });
});

describe('the static files', () => {
  it('serve a script that compiles and carries the view functions, and the style with both schemes', async () => {
    const e = await start([]);
    const js = await e.app.inject({ url: '/static/page.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(() => new Script(js.body)).not.toThrow();
    expect(js.body).toContain('function killCells(');
    expect(js.body).not.toContain('innerHTML');
    const css = await e.app.inject({ url: '/static/page.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('prefers-color-scheme:dark');
  });
});

describe('the web config', () => {
  it('puts the page and its files behind basic auth, /healthz not', async () => {
    const e = await start([], []);
    await e.close();
    exporter = undefined;
    const web = join(tmp!, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  ops: ${bcrypt.hashSync('s3cret', 4)}\n`);
    exporter = await buildExporter(
      parseConfig([
        `--path.procfs=${PROCFS}`,
        '--kernel-log.source=file',
        `--kernel-log.file=${join(tmp!, 'kern.log')}`,
        '--log.level=error',
        `--web.config.file=${web}`,
      ]),
      quietIo,
    );
    const auth = `Basic ${Buffer.from('ops:s3cret').toString('base64')}`;
    for (const url of ['/', '/static/page.js', '/static/page.css']) {
      const res = await exporter.app.inject({ url });
      expect([url, res.statusCode, res.headers['www-authenticate']]).toEqual([url, 401, expect.stringMatching(/^Basic/)]);
      expect([url, (await exporter.app.inject({ url, headers: { authorization: auth } })).statusCode]).toEqual([url, 200]);
    }
    expect((await exporter.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
