import type { FastifyPluginAsync } from 'fastify';

export interface LandingOptions {
  telemetryPath: string;
  version: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function landingPage({ telemetryPath, version }: LandingOptions): string {
  const path = escapeHtml(telemetryPath);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>oom-exporter</title></head>
<body>
<h1>oom-exporter</h1>
<p>A Prometheus exporter for Linux: which process the OOM killer will take next, and what it just killed, where and why.</p>
<p>Version ${escapeHtml(version)}, Node.js ${escapeHtml(process.version)}.</p>
<ul>
<li><a href="${path}">Metrics</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
</body></html>
`;
}

/** The page at / (node_exporter has one too): what this is and where the metrics are. Rendered once. */
export const landingRoute: FastifyPluginAsync<LandingOptions> = async (app, opts) => {
  const page = landingPage(opts);
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
};
