import type { OomKill } from '../../src/kernellog/types.js';

/** A complete OomKill: a kernel kill whose every field the caller does not name is null. */
export function oomKill(f: Partial<OomKill> = {}): OomKill {
  return {
    killer: 'kernel',
    pid: null,
    comm: null,
    uid: null,
    constraint: null,
    memcg: null,
    oomMemcg: null,
    invoker: null,
    totalVmBytes: null,
    anonRssBytes: null,
    fileRssBytes: null,
    shmemRssBytes: null,
    pgtablesBytes: null,
    oomScoreAdj: null,
    time: null,
    uptimeSeconds: null,
    prefixConstraint: null,
    ...f,
  };
}
