import type { FastifyPluginAsync } from 'fastify';
import type { ApiData } from '../api-data.js';
import { PAGE_CSS, PAGE_JS } from './assets.js';
import { PAGE_PROCESSES, renderPage, type PageModel } from './render.js';
import type { KillView, StatusView } from './view.js';

export interface PageOptions {
  telemetryPath: string;
  version: string;
  /** The JSON API's data; null when the API is off (the page then only links to the metrics). */
  data: ApiData | null;
}

/**
 * The operator's console at `/` (README, "The console"), and its script and style as same-origin files
 * (the CSP allows 'self' and nothing inline). The first view is rendered here from the API's own data.
 */
export const pageRoutes: FastifyPluginAsync<PageOptions> = async (app, opts) => {
  const { data } = opts;
  app.get('/', async (_req, reply) => {
    let model: PageModel = { telemetryPath: opts.telemetryPath, version: opts.version, kills: null, processes: null, status: null };
    if (data !== null) {
      let processes: PageModel['processes'];
      try {
        processes = (await data.processes({ limit: PAGE_PROCESSES, cgroup: null })) as PageModel['processes'];
      } catch (err) {
        processes = { error: `reading the processes failed: ${(err as Error).message}` };
      }
      // The API's bodies are these views' shapes (api-json.ts builds them; test/web/page.test.ts checks).
      model = { ...model, kills: data.kills() as unknown as KillView[], processes, status: data.status() as unknown as StatusView };
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(renderPage(model));
  });
  app.get('/static/page.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(PAGE_JS));
  // Browsers ask for it unprompted; no icon, but no 404 in the console either.
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).header('cache-control', 'max-age=86400').send());
  app.get('/static/page.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(PAGE_CSS));
};
