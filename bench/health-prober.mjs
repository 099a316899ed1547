// @ts-check
// The /healthz prober of bench/load.mjs, on a worker thread of its own (see probeHealth there): a probe
// every `everyMs` on a fresh connection, as a kubelet does, until the parent says "stop"; then it posts
// { ms, failures, whys }.
import { parentPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { timedGet } from './load.mjs';

/** @type {{ port: number, everyMs: number, timeoutMs: number }} */
const { port, everyMs, timeoutMs } = workerData;
/** @type {number[]} */
const ms = [];
let failures = 0;
/** @type {string[]} */
const whys = [];
let stopped = false;
parentPort?.on('message', (m) => {
  if (m === 'stop') stopped = true;
});
while (!stopped) {
  const t0 = performance.now();
  const r = await timedGet({ port, path: '/healthz', agent: false, gzip: false, timeoutMs, keep: false });
  if (r.outcome === 'ok') ms.push(r.ms);
  else {
    failures++;
    if (whys.length < 3 && r.why !== undefined) whys.push(r.why);
  }
  const wait = everyMs - (performance.now() - t0);
  if (wait > 0 && !stopped) await sleep(wait);
}
parentPort?.postMessage({ ms, failures, whys });
