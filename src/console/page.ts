/**
 * `/_gateway/`: the operator console, one self-contained page (its script, styles and
 * SVG charts inline; no external request, so it works on an air-gapped host and its
 * Content-Security-Policy can forbid every other origin). Every second it reads
 * `GET /_gateway/stats` and draws the last five minutes: requests per second, p99
 * latency and errors per worker or upstream, the store's ping, and a row per worker
 * with drain / undrain buttons (each asks for confirmation).
 *
 * The page itself holds no data and is served to anyone; its requests are answered as
 * every admin route is (loopback, or the admin key). A browser cannot attach the key to
 * a page load, so over another address the page takes the key from its URL fragment
 * (`/_gateway/#key=…`, never sent to the server, removed from the address bar at once)
 * or from a form, keeps it in sessionStorage, and sends it as `Authorization: Bearer`.
 * A bearer header, unlike a cookie or Basic auth the browser would replay, cannot be
 * borrowed by another site's form posting to the drain route.
 */
import { createHash } from 'node:crypto';
import { ADMIN_PREFIX } from '../http/admin-access.js';

const STYLE = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:#fff}
header{display:flex;gap:1.2rem;align-items:baseline;padding:.8rem 1.5rem;border-bottom:1px solid var(--line);background:var(--bg)}
header h1{font-size:1.15rem;margin:0}
#summary{color:var(--muted)}
main{padding:1rem 1.5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1rem;margin-bottom:1rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem}
.card h2{font-size:.85rem;font-weight:600;margin:0 0 .4rem;color:var(--muted)}
svg.chart{display:block;width:100%;height:auto;overflow:visible}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart text{font-size:10px;fill:var(--muted)}
svg.chart path{fill:none;stroke-width:1.5;stroke-linejoin:round}
.legend{display:flex;flex-wrap:wrap;gap:.2rem .8rem;font-size:.8rem;color:var(--muted);margin-top:.3rem}
.swatch{display:inline-block;width:.7rem;height:.25rem;margin-right:.3rem;vertical-align:middle}
table{border-collapse:collapse;width:100%}
th,td{padding:.35rem .6rem;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{font-size:.8rem;color:var(--muted);font-weight:600}
th:first-child,td:first-child,td.state{text-align:left}
td.spark{width:180px}
.id{font-weight:600}.sub{color:var(--muted);font-size:.8rem}
.healthy{color:var(--ok)}.slow-start{color:var(--warn)}.ejected,.unhealthy{color:var(--bad)}.draining{color:var(--muted)}
.bad{color:var(--bad)}
button{font:inherit;padding:.15rem .7rem;border:1px solid var(--line);border-radius:5px;background:#fff;cursor:pointer}
button:hover{background:var(--bg)}
#auth{border:1px solid var(--bad);border-radius:6px;padding:.8rem 1rem;margin-bottom:1rem}
#auth input{font:inherit;padding:.2rem .4rem;width:22rem;max-width:100%}
#error{color:var(--bad);min-height:1.2em}
footer{padding:0 1.5rem 1.5rem;color:var(--muted);font-size:.85rem}
`;

const SCRIPT = `
'use strict';
const KEY_ITEM = 'miniscale-admin-key';
const PALETTE = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700', '#0a7f8f', '#bc4c00', '#57606a'];
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const fmt = (v, digits) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits === undefined ? 1 : digits));

class Refused extends Error {}

function keyFromFragment() {
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(KEY_ITEM, decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

async function api(path, method) {
  const key = sessionStorage.getItem(KEY_ITEM);
  const res = await fetch(path, { method: method || 'GET', cache: 'no-store', headers: key ? { authorization: 'Bearer ' + key } : {} });
  const body = await res.json().catch(() => null);
  if (res.status === 403) throw new Refused(body && body.error ? body.error.message : 'refused');
  if (!res.ok) throw new Error(body && body.error ? body.error.code + ': ' + body.error.message : 'HTTP ' + res.status);
  return body;
}

function chart(series, opts) {
  const w = opts.width, h = opts.height, pad = opts.axes ? 28 : 2, top = 4, bottom = opts.axes ? 14 : 2;
  let max = 0, points = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  max = niceMax(max);
  const n = opts.samples;
  const x = (i) => pad + ((w - pad - 2) * i) / Math.max(1, n - 1);
  const y = (v) => top + (h - top - bottom) * (1 - v / max);
  let out = '<svg class="chart" viewBox="0 0 ' + w + ' ' + h + '" role="img" aria-label="' + esc(opts.label) + '"';
  const paths = [];
  for (const s of series) {
    const offset = n - s.values.length;
    let d = '', pen = false;
    s.values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      d += (pen ? 'L' : 'M') + x(i + offset).toFixed(1) + ' ' + y(v).toFixed(1);
      pen = true;
      points++;
    });
    if (d) paths.push('<path d="' + d + '" stroke="' + s.color + '"/>');
  }
  out += ' data-points="' + points + '">';
  if (opts.axes) {
    out += '<line class="grid" x1="' + pad + '" x2="' + (w - 2) + '" y1="' + y(max) + '" y2="' + y(max) + '"/>';
    out += '<line class="grid" x1="' + pad + '" x2="' + (w - 2) + '" y1="' + y(0) + '" y2="' + y(0) + '"/>';
    out += '<text x="0" y="' + (y(max) + 4) + '">' + esc(short(max)) + '</text><text x="0" y="' + (y(0) + 3) + '">0</text>';
    const span = (n * opts.intervalMs) / 1000;
    out += '<text x="' + pad + '" y="' + (h - 2) + '">−' + (span >= 120 ? Math.round(span / 60) + ' min' : Math.round(span) + ' s') + '</text>';
    out += '<text x="' + (w - 2) + '" y="' + (h - 2) + '" text-anchor="end">now</text>';
  }
  return out + paths.join('') + '</svg>';
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function short(v) {
  return v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 0 : 1) + 'k' : String(v);
}

function legend(rows) {
  return '<div class="legend">' + rows.map((r, i) => '<span><span class="swatch" style-color="' + i + '"></span>' + esc(label(r)) + '</span>').join('') + '</div>';
}

function label(r) {
  return r.id.indexOf('worker-') === 0 ? r.id.replace('worker-', 'worker ') : r.url.replace(/^https?:\\/\\//, '');
}

function colorOf(i) {
  return PALETTE[i % PALETTE.length];
}

/** The window the charts span: what has been sampled (up to five minutes), at least a minute. */
function windowOf(report) {
  return Math.max(report.t.length, 60);
}

function overview(report) {
  const n = windowOf(report);
  const per = (key) => report.rows.map((r, i) => ({ values: r.series[key], color: colorOf(i) }));
  const big = { width: 320, height: 110, axes: true, samples: n, intervalMs: report.intervalMs };
  $('chart-rps').innerHTML = chart(per('rps'), Object.assign({ label: 'requests per second' }, big)) + legend(report.rows);
  $('chart-p99').innerHTML = chart(per('p99Ms'), Object.assign({ label: 'p99 latency' }, big)) + legend(report.rows);
  const errors = report.rows.flatMap((r, i) => [{ values: r.series.errors5xx, color: colorOf(i) }, { values: r.series.errors4xx, color: colorOf(i) + '80' }]);
  $('chart-err').innerHTML = chart(errors, Object.assign({ label: 'errors per second' }, big)) + legend(report.rows);
  const store = report.store;
  if (!store) {
    $('store').textContent = 'not known here (no store of its own, and no health probes)';
    $('chart-store').innerHTML = '';
  } else {
    const where = store.seenBy === 'gateway' ? 'pinged by the gateway' : store.seenBy === 'nodes' ? 'pinged by the nodes' : "through the nodes' /readyz";
    $('store').innerHTML = '<b>' + esc(store.driver || 'store') + '</b> · ' + (store.ok ? '<span class="healthy">ok</span>' : '<span class="bad">not answering</span>') +
      ' · ping ' + fmt(store.pingMs, 2) + ' ms <span class="sub">(' + where + ')</span>';
    $('chart-store').innerHTML = chart([{ values: store.series.pingMs, color: PALETTE[0] }], Object.assign({ label: 'store ping' }, big, { height: 80 }));
  }
  paintSwatches();
}

function paintSwatches() {
  // Inline style attributes are forbidden by the page's CSP: colours are set from script.
  for (const el of document.querySelectorAll('[style-color]')) el.style.background = colorOf(Number(el.getAttribute('style-color')));
}

function rowHtml(r, i, report) {
  const ref = r.nodeId || r.url;
  const who = r.nodeId ? esc(r.nodeId) + (r.pid ? ' · PID ' + r.pid : '') : '';
  const op = r.state === 'draining' ? 'undrain' : 'drain';
  const lines = [{ values: r.series.rps, color: colorOf(i) }];
  if (r.series.errors5xx.some((v) => v > 0)) lines.push({ values: r.series.errors5xx, color: '#cf222e' });
  const spark = chart(lines,
    { width: 180, height: 32, axes: false, samples: windowOf(report), label: 'requests per second of ' + label(r) });
  return '<tr data-row="' + esc(r.id) + '" data-state="' + esc(r.state) + '">' +
    '<td><span class="swatch" style-color="' + i + '"></span><span class="id">' + esc(label(r)) + '</span><div class="sub">' + (who || esc(r.url)) + '</div></td>' +
    '<td class="state ' + esc(r.state) + '">' + esc(r.state) + '</td>' +
    '<td>' + fmt(r.now.rps) + '</td><td>' + fmt(r.now.p50Ms, 2) + '</td><td>' + fmt(r.now.p99Ms, 2) + '</td>' +
    '<td>' + fmt(r.now.errors4xx) + '</td><td class="' + (r.now.errors5xx > 0 ? 'bad' : '') + '">' + fmt(r.now.errors5xx) + '</td>' +
    '<td>' + r.inflight + '</td><td>' + (r.restarts === null ? '–' : r.restarts) + '</td><td>' + (r.ejections === null ? '–' : r.ejections) + '</td>' +
    '<td class="spark">' + spark + '</td>' +
    '<td><button data-ref="' + esc(ref) + '" data-op="' + op + '" data-label="' + esc(label(r)) + '">' + (op === 'drain' ? 'Drain' : 'Undrain') + '</button></td></tr>';
}

function render(report) {
  $('auth').hidden = true;
  const total = report.rows.reduce((n, r) => n + (r.now.rps || 0), 0);
  $('summary').textContent = report.topology + ' · ' + report.algorithm + ' · ' + report.rows.length + (report.topology === 'one-hop' ? ' workers' : ' upstreams') +
    ' · ' + total.toFixed(1) + ' req/s';
  $('who').textContent = report.topology === 'one-hop' ? 'worker' : 'upstream';
  $('rows').innerHTML = report.rows.map((r, i) => rowHtml(r, i, report)).join('');
  overview(report);
  $('updated').textContent = report.t.length ? 'updated ' + new Date(report.t[report.t.length - 1]).toLocaleTimeString() : 'waiting for the first sample';
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    render(await api('${ADMIN_PREFIX}/stats'));
    $('error').textContent = '';
  } catch (err) {
    if (err instanceof Refused) {
      $('auth').hidden = false;
      $('auth-msg').textContent = 'Refused: ' + err.message + '. Enter the admin key (kept in this tab only), or open /_gateway/#key=KEY.';
      $('rows').innerHTML = '';
    } else {
      $('error').textContent = 'Cannot read the stats: ' + err.message;
    }
  } finally {
    busy = false;
  }
}

$('rows').addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-ref]');
  if (!b) return;
  const what = b.dataset.op === 'drain'
    ? 'Drain ' + b.dataset.label + '? It finishes its requests and takes no new ones until undrained.'
    : 'Undrain ' + b.dataset.label + '? It takes traffic again.';
  if (!confirm(what)) return;
  try {
    await api('${ADMIN_PREFIX}/upstreams/' + encodeURIComponent(b.dataset.ref) + '/' + b.dataset.op, 'POST');
    $('error').textContent = '';
  } catch (err) {
    $('error').textContent = (b.dataset.op === 'drain' ? 'Drain' : 'Undrain') + ' failed: ' + err.message;
  }
  refresh();
});

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = $('key').value.trim();
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  $('key').value = '';
  refresh();
});

keyFromFragment();
refresh();
setInterval(refresh, 1000);
`;

export const CONSOLE_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Miniscale console</title><link rel="icon" href="data:,">
<style>${STYLE}</style></head><body>
<header><h1>Miniscale console</h1><span id="summary">…</span><span class="sub" id="updated"></span></header>
<main>
<section id="auth" hidden><p id="auth-msg"></p>
<form id="key-form"><input id="key" type="password" autocomplete="off" placeholder="admin key" aria-label="admin key"> <button type="submit">Use key</button></form></section>
<div class="cards">
<div class="card"><h2>Requests per second</h2><div id="chart-rps"></div></div>
<div class="card"><h2>p99 latency (ms)</h2><div id="chart-p99"></div></div>
<div class="card"><h2>Errors per second (5xx solid, 4xx light)</h2><div id="chart-err"></div></div>
<div class="card"><h2>Store</h2><div id="store"></div><div id="chart-store"></div></div>
</div>
<table><thead><tr><th id="who">worker</th><th>state</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th><th>4xx/s</th><th>5xx/s</th><th>in flight</th><th>restarts</th><th>ejections</th><th>req/s (red: 5xx/s)</th><th></th></tr></thead>
<tbody id="rows"></tbody></table>
<p id="error" role="alert"></p>
</main>
<footer><a href="${ADMIN_PREFIX}/stats">stats JSON</a> · <a href="${ADMIN_PREFIX}/upstreams">upstreams JSON</a> · <a href="${ADMIN_PREFIX}/metrics">Prometheus metrics</a> (links carry no key: loopback only)</footer>
<script>${SCRIPT}</script>
</body></html>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Only the page's own script and style run, it talks only to its own origin, and no
 * other site may frame it (a drain button under someone else's overlay).
 */
export const CONSOLE_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The page's own path: `/_gateway`, or `/_gateway/`. */
export function isConsolePagePath(path: string): boolean {
  return path === ADMIN_PREFIX || path === `${ADMIN_PREFIX}/`;
}
