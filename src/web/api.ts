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
  /**
   * Tells of a new web config (a password changed or revoked): open event streams were let in by the
   * old one, so they are ended, and their clients reconnect through the new one.
   */
  onWebConfigChange?: (listener: () => void) => void;
}

const JSON_TYPE = 'application/json; charset=utf-8';
/** The API's paths, for telling a wrong method (405) from a wrong path (404). */
const API_PATH = /^\/api\/v1\/(kills|kills\/[^/]+|processes|status|events)$/;

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

  // The API reads no request body: a POST of JSON, a form or 200 MB is not parsed (no 400, 415 or 413),
  // and gets the API's 405 below. Scoped to this plugin: no other route takes bodies either.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  app.get('/api/v1/kills', async (_req, reply) => ok(reply, { kills: data.kills() }));

  app.get<{ Params: { id: string } }>('/api/v1/kills/:id', async (req, reply) => {
    const id = req.params.id;
    // Only the id's one spelling: `01` or `1e0` is not kill 1, so a link names a kill one way.
    const kill = /^(0|[1-9]\d{0,14})$/.test(id) ? data.kill(Number(id)) : undefined;
    // A fixed message: no answer repeats the request.
    if (kill === undefined) return fail(reply, 404, 'no kill with that id among the ones kept');
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
    // id: the kill's id, so a client can tell (and a standard one resume from) the last it had.
    if (kill !== undefined) write(`id: ${id}\nevent: kill\ndata: ${JSON.stringify(kill)}\n\n`);
  });
  const ping = setInterval(() => write(': ping\n\n'), pingMs);
  opts.onWebConfigChange?.(() => {
    for (const res of subscribers) res.end();
    subscribers.clear();
  });
  ping.unref();
  // Before the server closes: open streams would keep it waiting.
  app.addHook('preClose', (done) => {
    clearInterval(ping);
    stopListening?.();
    for (const res of subscribers) res.end();
    subscribers.clear();
    done();
  });

  // Anything else under /api gets a JSON error, as a script reading the API expects, not the page's
  // plain-text 404: a known path with another method is 405 with Allow, any other path 404. Static
  // routes win over this wildcard, so it sees only what no route above takes (a trailing slash too).
  const notFound = async (_req: unknown, reply: FastifyReply): Promise<FastifyReply> =>
    fail(reply, 404, 'no such API path (see /api/v1/kills, /api/v1/kills/{id}, /api/v1/processes, /api/v1/status, /api/v1/events)');
  app.get('/api', notFound);
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/api/*',
    handler: async (req, reply) => {
      const path = req.url.split('?', 1)[0]!;
      if (req.method !== 'GET' && req.method !== 'HEAD' && API_PATH.test(path)) {
        return fail(reply.header('allow', 'GET, HEAD'), 405, 'the API is read-only: use GET or HEAD');
      }
      return fail(reply, 404, 'no such API path (see /api/v1/kills, /api/v1/kills/{id}, /api/v1/processes, /api/v1/status, /api/v1/events)');
    },
  });

  app.get('/api/v1/events', async (req, reply) => {
    if (subscribers.size >= maxSubscribers) {
      return fail(reply.header('retry-after', '5'), 503, `too many event streams open (at most ${maxSubscribers})`);
    }
    // HEAD asks for the headers only: no stream is opened (it would never answer, and hold a place).
    if (req.method === 'HEAD') {
      return reply.code(200).header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-store').send();
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
