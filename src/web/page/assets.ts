import { PAGE_CGROUPS, PAGE_KILLS, PAGE_PROCESSES } from './render.js';
import { VIEW_FUNCTIONS } from './view.js';

/** How often the script refreshes processes and status (kills come as events). */
export const REFRESH_MS = 5000;

/**
 * The page's script, served as /static/page.js (same origin, so the CSP needs no 'unsafe-inline').
 * Plain ES2022 with no framework: it fills four tables and two lists by id, which a framework would not
 * make shorter. Every value goes in with textContent, never as markup. The view functions are the
 * server's own (view.ts), serialized: the live rows are formatted exactly like the first view's.
 */
export const PAGE_JS = `'use strict';
(() => {
${VIEW_FUNCTIONS.map((f) => f.toString()).join('\n')}
const $ = (id) => document.getElementById(id);
const row = (cells) => {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  return tr;
};
const killRow = (k) => {
  const tr = row(killCells(k));
  tr.dataset.id = String(k.id);
  return tr;
};
const fillList = (dl, list) => {
  const out = [];
  for (const [k, v] of list) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    out.push(dt, dd);
  }
  dl.replaceChildren(...out);
};
const live = (text) => { $('live').textContent = text; };
const get = async (url) => {
  const res = await fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(url + ' answered ' + res.status);
  return (await res.json()).data;
};
const kills = $('kills-body');
const showKills = (list) => {
  kills.replaceChildren(...list.slice(0, ${PAGE_KILLS}).map(killRow));
  $('kills-empty').hidden = list.length > 0;
};
const addKill = (k) => {
  if (kills.querySelector('tr[data-id="' + Number(k.id) + '"]') !== null) return;
  kills.prepend(killRow(k));
  while (kills.rows.length > ${PAGE_KILLS}) kills.lastElementChild.remove();
  $('kills-empty').hidden = true;
};
const refresh = async () => {
  try {
    const [p, s] = await Promise.all([get('/api/v1/processes?limit=${PAGE_PROCESSES}'), get('/api/v1/status')]);
    $('procs-body').replaceChildren(...p.processes.map((x) => row(processCells(x))));
    $('cgroups-body').replaceChildren(...p.cgroups.slice(0, ${PAGE_CGROUPS}).map((x) => row(cgroupCells(x))));
    $('procs-error').hidden = true;
    fillList($('host'), hostItems(s));
    fillList($('log'), logItems(s));
    live(streamUp ? 'live, updated ' + new Date().toLocaleTimeString() : 'kills not live (event stream down, reconnecting); updated ' + new Date().toLocaleTimeString());
  } catch (err) {
    live('not updating: ' + err.message);
  }
};
// The browser retries a dropped stream by itself, but gives up for good after an answer that is not 200
// (503 when too many streams are open, a proxy's 502): then this reconnects, backing off to 30 s.
let streamUp = false;
let retryMs = 1000;
const connect = () => {
  const events = new EventSource('/api/v1/events');
  // On each (re)connection the list is read again: kills read while the stream was down are not lost.
  events.addEventListener('open', () => {
    streamUp = true;
    retryMs = 1000;
    get('/api/v1/kills').then((d) => showKills(d.kills), (err) => live('not updating: ' + err.message));
  });
  events.addEventListener('kill', (ev) => addKill(JSON.parse(ev.data)));
  events.addEventListener('error', () => {
    streamUp = false;
    live('event stream lost, reconnecting');
    if (events.readyState === EventSource.CLOSED) {
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    }
  });
};
connect();
setInterval(() => void refresh(), ${REFRESH_MS});
void refresh();
})();
`;

/** The page's style: light and dark from prefers-color-scheme, tables that scroll sideways on a phone. */
export const PAGE_CSS = `:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#666;--line:#ddd;--bad:#b00020}
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#16181c;--muted:#9a9a9a;--line:#333;--bad:#ff6b6b}}
body{margin:0 auto;max-width:72rem;padding:.5rem 1rem;font:15px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
h1{display:inline;font-size:1.4rem}h2{font-size:1.15rem;margin:1.2rem 0 .4rem}h3{font-size:1rem}
nav{margin:.3rem 0}nav a{margin-right:.8rem;white-space:nowrap}a{color:inherit}
.muted{color:var(--muted)}.error{color:var(--bad)}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid var(--line);vertical-align:top;white-space:nowrap}
td{font-variant-numeric:tabular-nums}
#kills td:nth-child(2),#kills td:nth-child(3),#procs td:nth-child(3),#cgroups td:nth-child(1){white-space:normal;overflow-wrap:anywhere;min-width:9rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dt{color:var(--muted)}dd{margin:0}
footer{margin-top:2rem;font-size:.85rem}
@media (max-width:40rem){body{font-size:14px;padding:.5rem}th,td{padding:.2rem .3rem}}
`;
