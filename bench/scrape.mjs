// Scrape benchmark: N real idle processes, the real exporter, and a raw baseline measured in the same run.
// Prints median/p95 latency (request to last byte, no gzip), exporter CPU ms per scrape, exporter RSS,
// and the baseline: open+read+close of status, oom_score, oom_score_adj for every PID into one buffer.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import http from 'node:http';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const CLK_TCK = 100; // USER_HZ on every Linux architecture that matters here

function pctl(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (xs) => pctl([...xs].sort((a, b) => a - b), 50);
const p95 = (xs) => pctl([...xs].sort((a, b) => a - b), 95);

export async function startIdleProcesses(n) {
  // One shell forks n sleepers and waits: cheap to start, one process group to kill.
  const child = spawn('bash', ['-c', `for ((i=0;i<${n};i++)); do sleep 100000 & done; echo ready; wait`], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  // Wait until the kernel lists them all.
  for (;;) {
    const count = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
    if (count >= n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    stop() {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    },
  };
}

export function startExporter(args) {
  const child = spawn(process.execPath, [CLI, '--web.listen-address=127.0.0.1:0', '--log.format=json', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c) => {
      err += c;
      const m = /"msg":"listening","address":"[^"]*:(\d+)"/.exec(err);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`exporter exited ${code}: ${err}`)));
  });
}

export function get(port, path = '/metrics') {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http
      .get({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': 'identity' } }, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes, status: res.statusCode }));
      })
      .on('error', reject);
  });
}

export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime + stime
}

export function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const buf = Buffer.allocUnsafe(64 * 1024);
function readRaw(path) {
  let fd;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } catch {
  } finally {
    closeSync(fd);
  }
}

/** The raw floor: the three files every exported process needs, read as cheaply as Node can. */
export function baselineMs() {
  const t0 = process.hrtime.bigint();
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    readRaw(`/proc/${d}/status`);
    readRaw(`/proc/${d}/oom_score`);
    readRaw(`/proc/${d}/oom_score_adj`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function benchScrape({ procs, scrapes, extraArgs = [] }) {
  const idle = await startIdleProcesses(procs);
  const exp = await startExporter(['--kernel-log.source=none', ...extraArgs]);
  try {
    for (let i = 0; i < 5; i++) await get(exp.port); // warm-up: JIT, first-time cgroup reads
    const lat = [];
    const base = [];
    const cpu0 = cpuMs(exp.child.pid);
    let series = 0;
    for (let i = 0; i < scrapes; i++) {
      const r = await get(exp.port);
      if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
      lat.push(r.ms);
      base.push(baselineMs());
      series = r.bytes;
    }
    const cpuPerScrape = (cpuMs(exp.child.pid) - cpu0) / scrapes;
    const visible = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
    return {
      procs: visible,
      scrapes,
      medianMs: median(lat),
      p95Ms: p95(lat),
      baselineMedianMs: median(base),
      ratio: median(lat) / median(base),
      cpuMsPerScrape: cpuPerScrape,
      rssMB: rssMB(exp.child.pid),
      bodyBytes: series,
    };
  } finally {
    exp.child.kill('SIGTERM');
    idle.stop();
  }
}

export async function benchRssFlat({ procs, scrapes }) {
  const idle = await startIdleProcesses(procs);
  const exp = await startExporter(['--kernel-log.source=none']);
  try {
    const samples = [];
    for (let i = 1; i <= scrapes; i++) {
      await get(exp.port);
      if (i % Math.max(1, Math.floor(scrapes / 10)) === 0) samples.push(Math.round(rssMB(exp.child.pid)));
    }
    return { procs, scrapes, rssMBEvery10Percent: samples };
  } finally {
    exp.child.kill('SIGTERM');
    idle.stop();
  }
}

export function machine() {
  const c = cpus();
  return `${c.length} x ${c[0]?.model ?? 'cpu'}, ${Math.round(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)[1]) / 1024 / 1024)} GiB, Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, Node ${process.version}`;
}
