import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { ContainerNames } from '../cgroup/docker.js';
import { createCgroupMemoryReader, type CgroupMemoryReader } from '../cgroup/memory.js';
import { discoverCgroupMounts, memoryHierarchy, type CgroupPaths } from '../cgroup/mounts.js';
import type { Collection } from '../collection.js';
import type { KernelLog } from '../kernellog/follower.js';
import { killJson, parseProcessQuery, processesJson } from './api-json.js';

export interface ApiRouteOptions {
  collection: Collection;
  version: string;
  /** The follower; null when no kernel log is followed (no kills then). */
  kernelLog: KernelLog | null;
  cgroupPaths: CgroupPaths;
  /** Docker names (--collector.docker); null without. */
  containers: ContainerNames | null;
  /** Event streams open at once; more get 503 (default 100). */
  maxSubscribers?: number;
  /** Between two `: ping` comments of an event stream (default 15 s). */
  pingMs?: number;
}

/** A snapshot of processes younger than this is reused rather than collected again. */
const SNAPSHOT_MAX_AGE_MS = 1000;
const JSON_TYPE = 'application/json; charset=utf-8';

const send = (reply: FastifyReply, code: number, body: unknown): FastifyReply =>
  reply.code(code).type(JSON_TYPE).header('cache-control', 'no-store').send(JSON.stringify(body));
const ok = (reply: FastifyReply, data: unknown): FastifyReply => send(reply, 200, { status: 'success', data });
const fail = (reply: FastifyReply, code: number, error: string): FastifyReply => send(reply, code, { status: 'error', error });

/**
 * The JSON API (README, "JSON API"): kills, the processes the OOM killer would take first, the exporter's
 * status, and kills as Server-Sent Events. Everything comes from memory or from the one shared collection;
 * the web config's hooks (TLS, basic auth) cover these routes as every other.
 */
export const apiRoutes: FastifyPluginAsync<ApiRouteOptions> = async (app, opts) => {
  const { collection, kernelLog, containers } = opts;
  const maxSubscribers = opts.maxSubscribers ?? 100;
  const pingMs = opts.pingMs ?? 15_000;
  const names = (): ReadonlyMap<string, string> | null => containers?.names() ?? null;

  let reader: CgroupMemoryReader | undefined;
  const readMemory = (cgroup: string) => {
    if (reader === undefined) {
      const h = memoryHierarchy(discoverCgroupMounts(opts.cgroupPaths));
      if (h !== undefined) reader = createCgroupMemoryReader(h);
    }
    return reader?.read(cgroup) ?? null;
  };

  app.get('/api/v1/kills', async (_req, reply) => {
    const recent = kernelLog?.recentKills() ?? [];
    const kills: unknown[] = [];
    for (let i = recent.length - 1; i >= 0; i--) kills.push(killJson(recent[i]!, names()));
    return ok(reply, { kills });
  });

  app.get<{ Params: { id: string } }>('/api/v1/kills/:id', async (req, reply) => {
    const id = req.params.id;
    const entry = /^\d{1,15}$/.test(id) ? kernelLog?.recentKills().find((k) => k.id === Number(id)) : undefined;
    // JSON.stringify escapes the id: it is never echoed raw.
    if (entry === undefined) return fail(reply, 404, `no kill with id ${JSON.stringify(id)} among the ones kept`);
    return ok(reply, { kill: killJson(entry, names()) });
  });

  app.get('/api/v1/processes', async (req, reply) => {
    const query = parseProcessQuery(req.query as Record<string, unknown>);
    if ('error' in query) return fail(reply, 400, query.error);
    let snapshot;
    try {
      snapshot = await collection.processSnapshot(SNAPSHOT_MAX_AGE_MS);
    } catch (err) {
      return fail(reply, 500, `reading the processes failed: ${(err as Error).message}`);
    }
    return ok(reply, processesJson(snapshot.processes, snapshot.takenAtMs, query, readMemory));
  });

  app.get('/api/v1/status', async (_req, reply) =>
    ok(reply, {
      version: opts.version,
      kernelLog: {
        source: kernelLog?.source ?? 'none',
        up: kernelLog?.up() ?? false,
        recordsRead: kernelLog?.recordsTotal() ?? 0,
        recordsLost: kernelLog?.lostTotal() ?? 0,
      },
      collectors: collection.results().map((r) => ({
        name: r.name,
        ok: r.ok,
        durationSeconds: r.seconds,
        lastSuccess: r.lastSuccessSeconds === null ? null : new Date(r.lastSuccessSeconds * 1000).toISOString(),
      })),
    }),
  );

  // Event streams: one listener on the follower for all of them, one ping timer.
  const subscribers = new Set<ServerResponse>();
  const write = (chunk: string): void => {
    for (const res of subscribers) res.write(chunk);
  };
  const stopListening = kernelLog?.onKill((_kill, _ts, id) => {
    if (subscribers.size === 0) return;
    // The recent list holds the kill with its id before listeners hear of it.
    const entry = kernelLog.recentKills().find((k) => k.id === id);
    if (entry !== undefined) write(`event: kill\ndata: ${JSON.stringify(killJson(entry, names()))}\n\n`);
  });
  const ping = setInterval(() => write(': ping\n\n'), pingMs);
  ping.unref();
  // Before the server closes: open streams would keep it waiting.
  app.addHook('preClose', (done) => {
    clearInterval(ping);
    stopListening?.();
    for (const res of subscribers) res.end();
    subscribers.clear();
    done();
  });

  app.get('/api/v1/events', async (req, reply) => {
    if (subscribers.size >= maxSubscribers) {
      return fail(reply.header('retry-after', '5'), 503, `too many event streams open (at most ${maxSubscribers})`);
    }
    // The stream is written directly; headers set by hooks (the web config's) are carried over.
    reply.hijack();
    const res = reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    subscribers.add(res);
    const remove = (): void => void subscribers.delete(res);
    req.raw.once('close', remove);
    res.once('close', remove);
  });
};
