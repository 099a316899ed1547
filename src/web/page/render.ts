import { cgroupCells, hostItems, killCells, logItems, processCells, type CgroupView, type KillView, type ProcessView, type StatusView } from './view.js';

/** Every character that could open markup or end an attribute, as a numeric reference. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** How many kills, processes and cgroups the console lists (the API has them all). */
export const PAGE_KILLS = 20;
export const PAGE_PROCESSES = 10;
export const PAGE_CGROUPS = 10;

/** What the first view is rendered from: the JSON API's bodies, or why one could not be had. */
export interface PageModel {
  telemetryPath: string;
  version: string;
  /** null: the exporter serves no API (no kills, processes or status to show). */
  kills: KillView[] | null;
  processes: { processes: ProcessView[]; cgroups: CgroupView[] } | { error: string } | null;
  status: StatusView | null;
}

const row = (cells: string[], attrs = ''): string => `<tr${attrs}>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
const items = (list: string[][]): string => list.map(([k, v]) => `<dt>${escapeHtml(k ?? '')}</dt><dd>${escapeHtml(v ?? '')}</dd>`).join('');
const head = (names: string[]): string => `<thead><tr>${names.map((n) => `<th>${n}</th>`).join('')}</tr></thead>`;

/**
 * The console's first view, complete without JavaScript (curl, a text browser): every value escaped.
 * The script (/static/page.js) keeps the same ids and cells up to date from the API.
 */
export function renderPage(m: PageModel): string {
  const metrics = escapeHtml(m.telemetryPath);
  const api = m.kills !== null;
  const kills = m.kills?.slice(0, PAGE_KILLS) ?? [];
  const procs = m.processes !== null && 'processes' in m.processes ? m.processes : null;
  const procError = m.processes !== null && 'error' in m.processes ? m.processes.error : null;
  const links = [`<a href="${metrics}">Metrics</a>`, '<a href="/healthz">Health</a>'];
  if (api) {
    for (const p of ['kills', 'processes', 'status', 'events']) links.push(`<a href="/api/v1/${p}">/api/v1/${p}</a>`);
  }
  const body = api
    ? `<section><h2>Host memory</h2><dl id="host">${m.status === null ? '' : items(hostItems(m.status))}</dl></section>
<section><h2>Latest kills</h2>
<div class="scroll"><table id="kills">${head(['When', 'Victim (PID)', 'Where', 'Constraint', 'Killer', 'Memory at death', 'Largest tasks then'])}
<tbody id="kills-body">${kills.map((k) => row(killCells(k), ` data-id="${k.id}"`)).join('')}</tbody></table></div>
<p id="kills-empty"${kills.length > 0 ? ' hidden' : ''}>No kill since the exporter started.</p></section>
<section><h2>Next victims</h2>
<p id="procs-error" class="error"${procError === null ? ' hidden' : ''}>${escapeHtml(procError ?? '')}</p>
<div class="scroll"><table id="procs">${head(['PID', 'Name', 'Cgroup', 'oom_score', 'RSS', 'Swap'])}
<tbody id="procs-body">${(procs?.processes ?? [])
        .slice(0, PAGE_PROCESSES)
        .map((p) => row(processCells(p)))
        .join('')}</tbody></table></div>
<h3>Cgroups nearest their limit</h3>
<div class="scroll"><table id="cgroups">${head(['Cgroup', 'Usage / limit', 'Headroom', 'Next victim (PID)'])}
<tbody id="cgroups-body">${(procs?.cgroups ?? [])
        .slice(0, PAGE_CGROUPS)
        .map((c) => row(cgroupCells(c)))
        .join('')}</tbody></table></div></section>
<section><h2>Kernel log</h2><dl id="log">${m.status === null ? '' : items(logItems(m.status))}</dl></section>`
    : '<p>The JSON API is off: only the metrics are served.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>oom-exporter</title>
<link rel="stylesheet" href="/static/page.css">${api ? '\n<script src="/static/page.js" defer></script>' : ''}</head>
<body>
<header><h1>oom-exporter</h1> <span id="live" class="muted">${api ? 'as loaded' : ''}</span>
<nav>${links.join(' ')}</nav></header>
<main>
${body}
</main>
<footer class="muted">oom-exporter ${escapeHtml(m.version)}, Node.js ${escapeHtml(process.version)}. Which process the OOM killer will take next, and what it just killed, where and why.</footer>
</body></html>
`;
}
