import type { FastifyPluginAsync } from 'fastify';

/**
 * The liveness probe. It never waits on a collection: a pass over /proc gives the event loop back every
 * few milliseconds, so this answers while scrapes run, and a probe timeout means the process is stuck.
 */
export const healthRoute: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async (_req, reply) => reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('ok\n'));
};
