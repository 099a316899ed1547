// Kubernetes names from the kubelet's log tree (issue 13): what a scrape pays when nothing is new (every
// cgroup's names known: no directory read at all), and one look-up at 500 pods (two directories of a
// 500-pod node read and parsed, 3 containers a pod), on a kubelet-style tree made in a temporary directory.
//
// node bench/kube-names.mjs [--kube-pods 500]   (npm run bench runs it)
// @ts-check
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubeNames } from '../dist/cgroup/kubelet-logs.js';

/** @param {string} name @param {number} def */
function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : def;
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export default async function main() {
  const pods = flag('kube-pods', 500);
  const dir = mkdtempSync(join(tmpdir(), 'oom-bench-varlog-'));
  try {
    mkdirSync(join(dir, 'pods'));
    mkdirSync(join(dir, 'containers'));
    /** @type {{ pod_uid: string; container_id: string }[]} */
    const owners = [];
    for (let p = 0; p < pods; p++) {
      const uid = randomUUID();
      const ns = `team-${p % 20}`;
      const pod = `service-${p}-7f9c6d5b8-x2kqz`;
      mkdirSync(join(dir, 'pods', `${ns}_${pod}_${uid}`));
      for (const c of ['app', 'sidecar', 'log-shipper']) {
        const id = randomBytes(32).toString('hex');
        symlinkSync(`/var/log/pods/${ns}_${pod}_${uid}/${c}/0.log`, join(dir, 'containers', `${pod}_${ns}_${c}-${id}.log`));
        owners.push({ pod_uid: uid, container_id: id });
      }
    }

    // One look-up: a fresh instance asked for one container reads both directories.
    const lookups = [];
    for (let i = 0; i < 20; i++) {
      const names = createKubeNames({ varlog: dir });
      const t = process.hrtime.bigint();
      const n = names.lookup(owners[i * 7]);
      lookups.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (n.container === '') throw new Error('the bench tree was not read');
    }

    // Nothing new: every owner known; a scrape's worth of look-ups (all 3 × pods containers) many times.
    const names = createKubeNames({ varlog: dir });
    for (const o of owners) names.lookup(o);
    const readsBefore = names.reads();
    const scrapes = [];
    for (let s = 0; s < 50; s++) {
      const t = process.hrtime.bigint();
      for (const o of owners) names.lookup(o);
      scrapes.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const reads = names.reads() - readsBefore;
    console.log(
      `kube-names: ${pods} pods, ${owners.length} containers: one look-up (both directories read) median ${median(lookups).toFixed(2)} ms; ` +
        `nothing new: ${reads} directory reads in 50 scrapes, ${median(scrapes).toFixed(3)} ms a scrape for all ${owners.length} cgroups' names (map look-ups)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
