// @ts-check
// TLS: the price of --web.config.file. At N real idle processes, two exporters run at once: one plain,
// one behind TLS with basic auth (deploy/web/make-secrets.sh's files: a P-256 certificate, a bcrypt hash
// of cost 10). They are scraped alternately (order swapped every round) over keep-alive connections, as
// Prometheus scrapes, so machine noise hits both alike. Prints both medians and their ratio (goal <= 1.2),
// the TLS scrape on a new connection each time (a handshake each), CPU per scrape, the first
// authenticated scrape (bcrypt paid once, in the worker), uncached 401s for a wrong user and a wrong
// password (the same cost, by design), and /healthz while 20 uncached password checks are in flight.
//
// node bench/tls.mjs [--tls-procs 2000] [--tls-scrapes 30]   (npm run bench runs it; --only tls alone)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { percentile } from './load.mjs';
import { cpuMs, startExporter, startIdleProcesses, stopExporter } from './scrape.mjs';

const MAKE_SECRETS = fileURLToPath(new URL('../deploy/web/make-secrets.sh', import.meta.url));

/**
 * One request, request to last byte; the body is read and dropped.
 * @param {{ tls: boolean, port: number, path?: string, agent?: http.Agent | false, ca?: Buffer, auth?: string }} o
 * @returns {Promise<{ ms: number, status: number | undefined }>}
 */
function request({ tls, port, path = '/metrics', agent, ca, auth }) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const options = {
      host: '127.0.0.1',
      port,
      path,
      agent,
      headers: { 'accept-encoding': 'identity', ...(auth !== undefined ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}) },
      ...(tls ? { ca } : {}),
    };
    const req = (tls ? https : http).get(options, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode }));
    });
    req.on('error', reject);
  });
}

/** @param {number[]} xs */
const median = (xs) => percentile(xs, 50);

/** @param {{ procs: number, scrapes: number }} options */
export async function benchTls({ procs, scrapes }) {
  const dir = mkdtempSync(join(tmpdir(), 'oom-bench-tls-'));
  const made = spawnSync('bash', [MAKE_SECRETS, dir], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make-secrets.sh failed: ${made.stderr}`);
  const ca = readFileSync(join(dir, 'ca.crt'));
  const auth = `prometheus:${readFileSync(join(dir, 'password'), 'utf8')}`;
  const idle = await startIdleProcesses(procs);
  const exporters = [];
  try {
    const plain = await startExporter(['--kernel-log.source=none']);
    exporters.push(plain);
    const secured = await startExporter(['--kernel-log.source=none', `--web.config.file=${join(dir, 'web-config.yml')}`]);
    exporters.push(secured);
    const plainAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const scrape = {
      plain: () => request({ tls: false, port: plain.port, agent: plainAgent }),
      tls: () => request({ tls: true, port: secured.port, agent: tlsAgent, ca, auth }),
    };

    // The first authenticated scrape: a handshake, the worker thread's start and bcrypt at cost 10.
    const first = await scrape.tls();
    if (first.status !== 200) throw new Error(`TLS scrape answered ${first.status}`);
    for (let i = 0; i < 5; i++) {
      await scrape.plain();
      await scrape.tls();
    }

    /** @type {{ plain: number[], tls: number[] }} */
    const lat = { plain: [], tls: [] };
    /** @type {number[]} */
    const paired = [];
    const cpu0 = { plain: cpuMs(plain.child.pid), tls: cpuMs(secured.child.pid) };
    for (let i = 0; i < scrapes; i++) {
      /** @type {('plain' | 'tls')[]} */
      const order = i % 2 === 0 ? ['plain', 'tls'] : ['tls', 'plain'];
      const round = { plain: NaN, tls: NaN };
      for (const which of order) {
        const r = await scrape[which]();
        if (r.status !== 200) throw new Error(`${which} scrape answered ${r.status}`);
        lat[which].push(r.ms);
        round[which] = r.ms;
      }
      paired.push(round.tls - round.plain);
    }
    const cpu = { plain: (cpuMs(plain.child.pid) - cpu0.plain) / scrapes, tls: (cpuMs(secured.child.pid) - cpu0.tls) / scrapes };

    // A new connection per scrape (a client that does not keep connections): a TLS handshake each time.
    /** @type {number[]} */
    const fresh = [];
    for (let i = 0; i < Math.min(scrapes, 15); i++) fresh.push((await request({ tls: true, port: secured.port, agent: false, ca, auth })).ms);

    // Uncached failures: each a bcrypt comparison at cost 10, for an unknown user as for a known one.
    /** @type {{ user: number[], password: number[] }} */
    const denied = { user: [], password: [] };
    for (let i = 0; i < 8; i++) {
      for (const [kind, creds] of /** @type {const} */ ([
        ['user', `nobody-${i}:x${i}`],
        ['password', `prometheus:wrong-${i}`],
      ])) {
        const r = await request({ tls: true, port: secured.port, agent: tlsAgent, ca, auth: creds, path: '/' });
        if (r.status !== 401) throw new Error(`wrong ${kind} answered ${r.status}`);
        denied[kind].push(r.ms);
      }
    }

    // /healthz on new connections every 20 ms while 20 uncached checks (20 x ~70 ms of bcrypt) run.
    const floodAgent = new https.Agent({ keepAlive: true, maxSockets: 20 });
    const flood = Array.from({ length: 20 }, (_, i) => request({ tls: true, port: secured.port, agent: floodAgent, ca, auth: `prometheus:flood-${i}`, path: '/' }));
    let flooding = true;
    const floodDone = Promise.all(flood).then((rs) => {
      flooding = false;
      return rs;
    });
    /** @type {number[]} */
    const health = [];
    while (flooding) {
      health.push((await request({ tls: true, port: secured.port, agent: false, ca, path: '/healthz' })).ms);
      await new Promise((r) => setTimeout(r, 20));
    }
    const floodStatuses = (await floodDone).map((r) => r.status);
    for (const a of [plainAgent, tlsAgent, floodAgent]) a.destroy();

    return {
      visible: readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length,
      scrapes,
      plainMedianMs: median(lat.plain),
      tlsMedianMs: median(lat.tls),
      ratio: median(lat.tls) / median(lat.plain),
      pairedDiffMs: median(paired),
      tlsP95Ms: percentile(lat.tls, 95),
      plainP95Ms: percentile(lat.plain, 95),
      freshMedianMs: median(fresh),
      cpuPlainMs: cpu.plain,
      cpuTlsMs: cpu.tls,
      firstMs: first.ms,
      wrongUserMs: median(denied.user),
      wrongPasswordMs: median(denied.password),
      healthP50Ms: percentile(health, 50),
      healthMaxMs: Math.max(...health),
      healthSamples: health.length,
      floodStatuses: [...new Set(floodStatuses)].join('/'),
    };
  } finally {
    for (const e of exporters) await stopExporter(e);
    await idle.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {Awaited<ReturnType<typeof benchTls>>} r */
export function formatTls(r) {
  const f = (/** @type {number} */ x) => x.toFixed(1);
  return (
    `tls: ${r.visible} PIDs, ${r.scrapes} scrapes each, keep-alive: plain median ${f(r.plainMedianMs)} ms (p95 ${f(r.plainP95Ms)}), ` +
    `TLS + basic auth median ${f(r.tlsMedianMs)} ms (p95 ${f(r.tlsP95Ms)}): ratio ${r.ratio.toFixed(2)}x (goal <= 1.2), paired +${f(r.pairedDiffMs)} ms; ` +
    `new connection per scrape ${f(r.freshMedianMs)} ms; CPU ${f(r.cpuPlainMs)} / ${f(r.cpuTlsMs)} ms per scrape; ` +
    `first authenticated scrape ${f(r.firstMs)} ms; uncached 401 wrong user ${f(r.wrongUserMs)} ms, wrong password ${f(r.wrongPasswordMs)} ms; ` +
    `/healthz during 20 uncached password checks (answered ${r.floodStatuses}): p50 ${f(r.healthP50Ms)} ms, max ${f(r.healthMaxMs)} ms over ${r.healthSamples} probes`
  );
}

/**
 * @param {string} name
 * @param {number} def
 */
function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return Number(process.argv[i + 1]);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? Number(eq.split('=')[1]) : def;
}

export default async function tls() {
  const r = await benchTls({ procs: flag('tls-procs', 2000), scrapes: flag('tls-scrapes', 30) });
  console.log(formatTls(r));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await tls();
