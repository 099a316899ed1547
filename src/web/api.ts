import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { createApiData, type ApiData, type ApiSources } from './api-data.js';
import { parseProcessQuery } from './api-json.js';

export interface ApiRouteOptions extends ApiSources {
  /** Made from the sources when not given (the app shares one with the page). */
  data?: ApiData;
  /** Event streams open at once; more get 503 (default 100). */
  maxSubscribers?: number;
  /** Between two `: ping` comments of an event stream (default 15 s). */
  pingMs?: number;
}

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
  const { kernelLog } = opts;
  const data = opts.data ?? createApiData(opts);
  const maxSubscribers = opts.maxSubscribers ?? 100;
  const pingMs = opts.pingMs ?? 15_000;

  app.get('/api/v1/kills', async (_req, reply) => ok(reply, { kills: data.kills() }));

  app.get<{ Params: { id: string } }>('/api/v1/kills/:id', async (req, reply) => {
    const id = req.params.id;
    const kill = /^\d{1,15}$/.test(id) ? data.kill(Number(id)) : undefined;
    // JSON.stringify escapes the id: it is never echoed raw.
    if (kill === undefined) return fail(reply, 404, `no kill with id ${JSON.stringify(id)} among the ones kept`);
    return ok(reply, { kill });
  });

  app.get('/api/v1/processes', async (req, reply) => {
    const query = parseProcessQuery(req.query as Record<string, unknown>);
    if ('error' in query) return fail(reply, 400, query.error);
    let body;
    try {
      body = await data.processes(query);
    } catch (err) {
      return fail(reply, 500, `reading the processes failed: ${(err as Error).message}`);
    }
    return ok(reply, body);
  });

  app.get('/api/v1/status', async (_req, reply) => ok(reply, data.status()));

  // Event streams: one listener on the follower for all of them, one ping timer.
  const subscribers = new Set<ServerResponse>();
  const write = (chunk: string): void => {
    for (const res of subscribers) res.write(chunk);
  };
  const stopListening = kernelLog?.onKill((_kill, _ts, id) => {
    if (subscribers.size === 0) return;
    // The recent list holds the kill with its id before listeners hear of it.
    const kill = data.kill(id);
    if (kill !== undefined) write(`event: kill\ndata: ${JSON.stringify(kill)}\n\n`);
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
