import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { Collection } from '../../src/collection.js';
import { buildExporter, type Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log.js';
import { buildApp } from '../../src/web/app.js';
import { listen } from '../../src/web/listen.js';

const PROCFS = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
const CGROUPFS = fileURLToPath(new URL('../fixtures/cgroup/v2/sys/fs/cgroup', import.meta.url));
const DOCKER_ID = 'd0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98';
const KILLED = `/system.slice/docker-${DOCKER_ID}.scope`;

/** A full kernel report (header with task_memcg, then the Killed line) of a syslog file. */
const report = (pid: number, comm: string, uptime: number): string =>
  [
    `Nov 30 12:00:00 host kernel: [  ${uptime.toFixed(6)}] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=${KILLED},task_memcg=${KILLED},task=${comm},pid=${pid},uid=0`,
    `Nov 30 12:00:00 host kernel: [  ${(uptime + 0.0001).toFixed(6)}] Memory cgroup out of memory: Killed process ${pid} (${comm}) total-vm:1000kB, anon-rss:900kB, file-rss:4kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0`,
  ].join('\n');
/** Only the Killed line (the header was rate-limited): PID 100 is python3 of the fixture /proc. */
const killedOnly = (pid: number, comm: string): string =>
  `Nov 30 12:00:02 host kernel: [  102.000000] Memory cgroup out of memory: Killed process ${pid} (${comm}) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0`;

const quietIo = { stdout: async () => {}, stderr: () => {}, logLine: () => {} };
let tmp: string | undefined;
let exporter: Exporter | undefined;
afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

/** The exporter on a syslog file of our own, with `lines` written to it after start. */
async function start(lines: string[], extra: string[] = []): Promise<{ exporter: Exporter; log: string }> {
  tmp = mkdtempSync(join(tmpdir(), 'oom-api-'));
  const log = join(tmp, 'kern.log');
  writeFileSync(log, '');
  const config = parseConfig([
    `--path.procfs=${PROCFS}`,
    `--path.cgroupfs=${CGROUPFS}`,
    '--kernel-log.source=file',
    `--kernel-log.file=${log}`,
    '--log.level=error',
    ...extra,
  ]);
  exporter = await buildExporter(config, quietIo);
  if (lines.length > 0) appendFileSync(log, lines.join('\n') + '\n');
  // The follower reads what was appended on its next drain; a scrape drains first.
  await exporter.app.inject({ url: '/metrics' });
  return { exporter, log };
}

async function getJson(e: Exporter, url: string): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  const res = await e.app.inject({ url });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

const KILL_KEYS = [
  'id',
  'killer',
  'pid',
  'comm',
  'uid',
  'constraint',
  'memcg',
  'oomMemcg',
  'invoker',
  'totalVmBytes',
  'anonRssBytes',
  'fileRssBytes',
  'shmemRssBytes',
  'pgtablesBytes',
  'oomScoreAdj',
  'time',
  'uptimeSeconds',
  'namespace',
  'pod',
  'container',
  'constraintLabel',
  'cgroup',
  'cgroupSource',
  'container_id',
  'container_name',
  'pod_uid',
  'systemd_unit',
  'runtime',
  'victim',
  'report',
];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('GET /api/v1/kills', () => {
  it("gives a kill's task table (largest first) and Mem-Info where the report printed them; null where not", async () => {
    const at = (t: number, m: string): string => `Nov 30 12:00:00 host kernel: [  ${t.toFixed(6)}] ${m}`;
    const withTables = [
      at(99.0, 'Mem-Info:'),
      at(99.0, 'active_anon:1200 inactive_anon:34 isolated_anon:0'),
      at(99.0, ' active_file:56 inactive_file:78 isolated_file:0'),
      at(99.0, 'Node 0 active_anon:4800kB inactive_anon:136kB'),
      at(99.1, 'Tasks state (memory values in pages):'),
      at(99.1, '[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name'),
      at(99.1, '[    300]     0   300     1000      120      100       20         0    40960        0             0 small one'),
      at(99.1, '[   4244]  1000  4244    20634    19782    18080     1702         0   200704        7           200 big <i>x</i>'),
      at(99.1, '[    301]     0   301     2000      500      400      100         0    45056        0          -100 middle'),
      report(4244, 'big <i>x</i>', 99.2),
    ].join('\n');
    const { exporter: e } = await start([withTables, report(4245, 'no-tables', 103)]);
    const kills = ((await getJson(e, '/api/v1/kills')).body.data as { kills: Record<string, unknown>[] }).kills;
    const [none, big] = kills;
    expect(none!['report']).toBeNull();
    const r = big!['report'] as { taskCount: number; tasks: Record<string, unknown>[]; memInfo: Record<string, number> };
    expect(r.taskCount).toBe(3);
    expect(r.tasks.map((t) => t['pid'])).toEqual([4244, 301, 300]);
    expect(r.tasks[0]).toEqual({
      pid: 4244,
      comm: 'big <i>x</i>',
      uid: 1000,
      tgid: 4244,
      totalVmPages: 20634,
      rssPages: 19782,
      swapEntries: 7,
      pgtablesBytes: 200704,
      oomScoreAdj: 200,
    });
    expect(r.tasks[1]!['oomScoreAdj']).toBe(-100);
    expect(r.memInfo).toEqual({ active_anon: 1200, inactive_anon: 34, isolated_anon: 0, active_file: 56, inactive_file: 78, isolated_file: 0 });
    // The kill line says 904 kB where the row says 19782 pages: no page size fits, so none is claimed.
    expect(r['pageBytes' as keyof typeof r]).toBeNull();
    // The one kill with its report, by id.
    const one = (await getJson(e, `/api/v1/kills/${String(big!['id'])}`)).body.data as { kill: Record<string, unknown> };
    expect(one.kill['report']).toEqual(r);
  });

  it('lists the kills newest first with every documented field, typed, null when unknown', async () => {
    const { exporter: e } = await start([report(4242, 'victim-a', 100), report(4243, 'victim-b', 101), killedOnly(100, 'python3')]);
    const { status, body, headers } = await getJson(e, '/api/v1/kills');
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['cache-control']).toBe('no-store');
    expect(body.status).toBe('success');
    const kills = (body.data as { kills: Record<string, unknown>[] }).kills;
    expect(kills.map((k) => k.comm)).toEqual(['python3', 'victim-b', 'victim-a']);
    for (const k of kills) expect(Object.keys(k)).toEqual(KILL_KEYS);
    const ids = kills.map((k) => k.id as number);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);

    const b = kills[1]!;
    expect(b).toMatchObject({
      killer: 'kernel',
      pid: 4243,
      uid: 0,
      constraint: 'CONSTRAINT_MEMCG',
      memcg: KILLED,
      oomMemcg: KILLED,
      totalVmBytes: 1000 * 1024,
      anonRssBytes: 900 * 1024,
      fileRssBytes: 4 * 1024,
      shmemRssBytes: 0,
      pgtablesBytes: 40 * 1024,
      oomScoreAdj: 0,
      uptimeSeconds: 101.0001,
      cgroup: KILLED,
      cgroupSource: 'kernel',
      container_id: DOCKER_ID,
      // No --collector.docker: no names.
      container_name: null,
      pod_uid: null,
      systemd_unit: `docker-${DOCKER_ID}.scope`,
      runtime: 'docker',
      // Never seen by the exporter: not in the fixture /proc.
      victim: null,
    });
    expect(b.time).toMatch(ISO);

    // The header was lost: the cgroup and the victim's state come from the exporter's view of /proc.
    const p = kills[0]!;
    expect(p).toMatchObject({
      pid: 100,
      memcg: null,
      cgroup: '/system.slice/app.service',
      cgroupSource: 'proc',
      systemd_unit: 'app.service',
      container_id: null,
      runtime: null,
    });
    const victim = p.victim as Record<string, unknown>;
    expect(Object.keys(victim)).toEqual(['rssBytes', 'swapBytes', 'oomScore', 'oomScoreAdj', 'seenAt']);
    expect(typeof victim.rssBytes).toBe('number');
    // Scores come from the last scrape, and none ran before this kill was read: unknown, not a guess.
    expect(victim.oomScore).toBeNull();
    expect(victim.seenAt).toMatch(ISO);
  });

  it('keeps the last --kills.keep kills', async () => {
    const lines = [1, 2, 3, 4, 5].map((i) => report(5000 + i, `keep-${i}`, 100 + i));
    const { exporter: e } = await start(lines, ['--kills.keep=2']);
    const kills = ((await getJson(e, '/api/v1/kills')).body.data as { kills: { comm: string }[] }).kills;
    expect(kills.map((k) => k.comm)).toEqual(['keep-5', 'keep-4']);
  });

  it('refuses a bad --kills.keep naming the flag', () => {
    expect(() => parseConfig(['--kills.keep=0'])).toThrow(/--kills\.keep "0"/);
    expect(() => parseConfig(['--kills.keep=many'])).toThrow(/--kills\.keep/);
  });
});

describe('GET /api/v1/kills/{id}', () => {
  it('gives one kill by id, and a 404 JSON error for an unknown one without echoing it raw', async () => {
    const { exporter: e } = await start([report(4242, 'victim-a', 100), report(4243, 'victim-b', 101)]);
    const kills = ((await getJson(e, '/api/v1/kills')).body.data as { kills: { id: number; comm: string }[] }).kills;
    const one = await getJson(e, `/api/v1/kills/${kills[1]!.id}`);
    expect(one.status).toBe(200);
    expect((one.body.data as { kill: { comm: string } }).kill.comm).toBe('victim-a');
    // `0${id}` is another spelling of a kept id: not the same kill.
    for (const id of ['999999', 'abc', '%3Cscript%3E"x', `0${kills[1]!.id}`, `${kills[1]!.id}.0`]) {
      const res = await e.app.inject({ url: `/api/v1/kills/${id}` });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.json()).toEqual({ status: 'error', error: 'no kill with that id among the ones kept' });
    }
  });
});

describe('the API at its edges', () => {
  it('HEAD of the event stream answers its headers and holds no stream; events carry their kill id', async () => {
    const { exporter: e, log } = await start([]);
    const head = await e.app.inject({ method: 'HEAD', url: '/api/v1/events' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const address = await listen(e.app, { host: '127.0.0.1', port: 0 });
    const res = await fetch(`http://${address}/api/v1/events`);
    const reader = res.body!.getReader();
    appendFileSync(log, report(4400, 'with-id', 130) + '\n');
    await e.app.inject({ url: '/metrics' });
    let text = '';
    while (!text.includes('event: kill')) text += new TextDecoder().decode((await reader.read()).value);
    const id = ((await getJson(e, '/api/v1/kills')).body.data as { kills: { id: number }[] }).kills[0]!.id;
    expect(text).toContain(`id: ${id}\nevent: kill\ndata: `);
    await reader.cancel();
  });

  it('bodies are not read: a POST of JSON, a form or a bad body is 405, not 400 or 415; /api and a malformed path are JSON errors', async () => {
    const { exporter: e } = await start([]);
    for (const [type, payload] of [
      ['application/json', '{bad'],
      ['application/x-www-form-urlencoded', 'a=b'],
      ['text/plain', 'x'.repeat(2 << 20)],
    ] as const) {
      const res = await e.app.inject({ method: 'POST', url: '/api/v1/kills', headers: { 'content-type': type }, payload });
      expect([type, res.statusCode]).toEqual([type, 405]);
      expect(res.json()).toMatchObject({ status: 'error' });
    }
    for (const url of ['/api', '/api/v1/kills/%ZZ']) {
      const res = await e.app.inject({ url });
      expect([url, res.headers['content-type']]).toEqual([url, 'application/json; charset=utf-8']);
      expect(res.json<{ status: string }>().status).toBe('error');
      expect(res.body).not.toContain('%ZZ');
    }
  });
});

describe('what the API does not serve', () => {
  it('answers an unknown path under /api with a JSON 404 that does not repeat it, and another method with 405', async () => {
    const { exporter: e } = await start([]);
    for (const url of ['/api/v1/kills/', '/api/v1/nothing-here', '/api/v2/kills', '/api/', '/api/v1/kills/1/x?y=<b>']) {
      const res = await e.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.json<{ status: string }>().status).toBe('error');
      expect(res.body).not.toContain('nothing-here');
      expect(res.body).not.toContain('<b>');
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
      for (const url of ['/api/v1/kills', '/api/v1/kills/1', '/api/v1/processes', '/api/v1/status', '/api/v1/events']) {
        const res = await e.app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(405);
        expect(res.headers['allow']).toBe('GET, HEAD');
        expect(res.json()).toMatchObject({ status: 'error' });
      }
    }
    // HEAD is GET without the body.
    const head = await e.app.inject({ method: 'HEAD', url: '/api/v1/status' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    // Outside /api the plain-text 404 stays.
    const page = await e.app.inject({ url: '/nothing' });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
});

describe('GET /api/v1/processes', () => {
  it('ranks processes by oom_score with their cgroup memory, typed, null when unknown', async () => {
    const { exporter: e } = await start([]);
    const { status, body } = await getJson(e, '/api/v1/processes');
    expect(status).toBe(200);
    const data = body.data as { takenAt: string; processes: Record<string, unknown>[]; cgroups: Record<string, unknown>[] };
    expect(data.takenAt).toMatch(ISO);
    const scores = data.processes.map((p) => p.score as number | null);
    // The fixture's highest: java (950), Web (Content) 1 (700), python3 (667).
    expect(data.processes.slice(0, 3).map((p) => p.comm)).toEqual(['java', 'Web (Content) 1', 'python3']);
    expect(scores.filter((s) => s !== null)).toEqual([...scores.filter((s) => s !== null)].sort((a, b) => b - a));
    for (const p of data.processes) {
      expect(Object.keys(p)).toEqual(['pid', 'comm', 'cgroup', 'rssBytes', 'swapBytes', 'score', 'scoreAdj', 'usageBytes', 'limitBytes', 'headroomBytes']);
      expect(typeof p.pid).toBe('number');
      expect(typeof p.comm).toBe('string');
      for (const k of ['rssBytes', 'swapBytes', 'score', 'scoreAdj', 'usageBytes', 'limitBytes', 'headroomBytes']) expect(['number', 'object']).toContain(typeof p[k]);
    }
    for (const c of data.cgroups) {
      expect(Object.keys(c)).toEqual(['cgroup', 'usageBytes', 'limitBytes', 'headroomBytes', 'victim']);
      expect(typeof c.limitBytes).toBe('number');
    }
  });

  it('limits and filters by cgroup subtree', async () => {
    const { exporter: e } = await start([]);
    const one = (await getJson(e, '/api/v1/processes?limit=1')).body.data as { processes: { comm: string }[] };
    expect(one.processes.map((p) => p.comm)).toEqual(['java']);
    const sys = (await getJson(e, '/api/v1/processes?cgroup=/system.slice')).body.data as { processes: { comm: string; cgroup: string }[] };
    expect(sys.processes.length).toBeGreaterThan(0);
    for (const p of sys.processes) expect(p.cgroup.startsWith('/system.slice/')).toBe(true);
    expect(sys.processes.map((p) => p.comm)).toContain('python3');
    // A sibling named like a prefix is not inside it.
    const none = (await getJson(e, '/api/v1/processes?cgroup=/system.slic')).body.data as { processes: unknown[] };
    expect(none.processes).toEqual([]);
  });

  it('answers 400 naming the parameter for a bad limit or cgroup', async () => {
    const { exporter: e } = await start([]);
    for (const q of ['limit=0', 'limit=10001', 'limit=abc', 'limit=1.5', 'limit=', 'limit=1&limit=2']) {
      const res = await getJson(e, `/api/v1/processes?${q}`);
      expect([q, res.status]).toEqual([q, 400]);
      expect(res.body).toMatchObject({ status: 'error', error: expect.stringMatching(/^invalid limit/) });
    }
    for (const q of ['cgroup=relative', 'cgroup=/a/../b', 'cgroup=/a%00b', 'cgroup=']) {
      const res = await getJson(e, `/api/v1/processes?${q}`);
      expect([q, res.status]).toEqual([q, 400]);
      expect(res.body).toMatchObject({ status: 'error', error: expect.stringMatching(/^invalid cgroup/) });
    }
  });
});

describe('GET /api/v1/status', () => {
  it('gives the kernel-log source, counts, collectors, version and the host memory', async () => {
    const { exporter: e } = await start([report(4242, 'victim-a', 100)]);
    const data = (await getJson(e, '/api/v1/status')).body.data as Record<string, unknown>;
    expect(typeof data.version).toBe('string');
    expect(data.kernelLog).toMatchObject({ source: 'file', up: true, recordsLost: 0 });
    expect((data.kernelLog as { recordsRead: number }).recordsRead).toBeGreaterThanOrEqual(2);
    const collectors = data.collectors as Record<string, unknown>[];
    expect(collectors.map((c) => c.name)).toContain('process');
    for (const c of collectors) {
      expect(Object.keys(c)).toEqual(['name', 'ok', 'durationSeconds', 'lastSuccess']);
      if (c.ok === true) expect(c.lastSuccess).toMatch(ISO);
    }
    // Fixture /proc/meminfo and /proc/pressure/memory.
    expect(data.host).toEqual({
      memTotalBytes: 24567892 * 1024,
      memAvailableBytes: 22345678 * 1024,
      swapTotalBytes: 2097148 * 1024,
      swapFreeBytes: 1572860 * 1024,
      pressureSomeAvg10: 0.12,
      pressureFullAvg10: 0,
    });
  });
});

describe('GET /api/v1/events', () => {
  it('streams each kill as it is read, as /api/v1/kills gives it', async () => {
    const { exporter: e, log } = await start([]);
    const address = await listen(e.app, { host: '127.0.0.1', port: 0 });
    const ac = new AbortController();
    const res = await fetch(`http://${address}/api/v1/events`, { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    appendFileSync(log, report(4300, 'streamed', 120) + '\n');
    let text = '';
    while (!text.includes('event: kill')) text += new TextDecoder().decode((await reader.read()).value);
    while (!/event: kill\ndata: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const kill = JSON.parse(/event: kill\ndata: (.*)\n\n/.exec(text)![1]!) as Record<string, unknown>;
    const listed = ((await getJson(e, '/api/v1/kills')).body.data as { kills: unknown[] }).kills[0];
    expect(kill).toEqual(listed);
    expect(kill.comm).toBe('streamed');
    ac.abort();
  });
});

describe('the web config', () => {
  it('puts every API route behind basic auth', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'oom-api-'));
    const web = join(tmp, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  api: ${bcrypt.hashSync('s3cret', 4)}\n`);
    const log = join(tmp, 'kern.log');
    writeFileSync(log, '');
    exporter = await buildExporter(
      parseConfig([`--path.procfs=${PROCFS}`, '--kernel-log.source=file', `--kernel-log.file=${log}`, '--log.level=error', `--web.config.file=${web}`]),
      quietIo,
    );
    const auth = `Basic ${Buffer.from('api:s3cret').toString('base64')}`;
    for (const url of ['/api/v1/kills', '/api/v1/kills/1', '/api/v1/processes', '/api/v1/status', '/api/v1/events']) {
      expect([url, (await exporter.app.inject({ url })).statusCode]).toEqual([url, 401]);
    }
    expect((await exporter.app.inject({ url: '/api/v1/status', headers: { authorization: auth } })).statusCode).toBe(200);
    // The refusal is JSON under /api, as every API answer; elsewhere it stays plain text.
    const refused = await exporter.app.inject({ url: '/api/v1/kills' });
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(refused.json()).toMatchObject({ status: 'error' });
    expect(refused.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await exporter.app.inject({ url: '/metrics' })).headers['content-type']).toMatch(/^text\/plain/);
  });

  it('ends an open event stream when the web config changes (a revoked password keeps no stream)', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'oom-api-'));
    const web = join(tmp, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  api: ${bcrypt.hashSync('old', 4)}\n`);
    exporter = await buildExporter(parseConfig([`--path.procfs=${PROCFS}`, '--kernel-log.source=none', '--log.level=error', `--web.config.file=${web}`]), quietIo);
    const address = await listen(exporter.app, { host: '127.0.0.1', port: 0 });
    const old = `Basic ${Buffer.from('api:old').toString('base64')}`;
    const stream = await fetch(`http://${address}/api/v1/events`, { headers: { authorization: old } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read(); // ": connected"
    writeFileSync(web, `basic_auth_users:\n  api: ${bcrypt.hashSync('new', 4)}\n`);
    // The change is noticed at the next connection; the old password is refused from then on.
    expect((await fetch(`http://${address}/api/v1/status`, { headers: { authorization: old } })).status).toBe(401);
    let ended = false;
    for (let i = 0; i < 20 && !ended; i++) ended = (await reader.read()).done;
    expect(ended).toBe(true);
  });
});

describe('event streams', () => {
  it('are bounded (503 beyond the limit) and a client that leaves frees its place', async () => {
    const collection: Collection = {
      scrape: () => Promise.reject(new Error('no collection in this test')),
      beforeScrape: () => {},
      afterScrape: () => {},
      results: () => [],
      processSnapshot: () => Promise.reject(new Error('no processes in this test')),
      close: async () => {},
    };
    const app = buildApp({
      collection,
      telemetryPath: '/metrics',
      version: '0.0.0-test',
      log: createLogger('error', 'logfmt', () => {}),
      maxRequests: 0,
      connections: { maxConnections: 0 },
      api: { kernelLog: null, containers: null, cgroupPaths: { procfs: PROCFS, sysfs: '/sys', cgroupfs: CGROUPFS }, maxSubscribers: 1 },
    });
    try {
      const address = await listen(app, { host: '127.0.0.1', port: 0 });
      const first = new AbortController();
      const open = await fetch(`http://${address}/api/v1/events`, { signal: first.signal });
      expect(open.status).toBe(200);
      const refused = await fetch(`http://${address}/api/v1/events`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ status: 'error' });
      first.abort();
      // The server hears of the close a moment later.
      let again = await fetch(`http://${address}/api/v1/events`);
      for (let i = 0; i < 50 && again.status === 503; i++) {
        await new Promise((r) => setTimeout(r, 20));
        again = await fetch(`http://${address}/api/v1/events`);
      }
      expect(again.status).toBe(200);
      await again.body?.cancel();
    } finally {
      await app.close();
    }
  });
});
