/**
 * `/_gateway/`: one self-contained page that polls `/_gateway/upstreams` every second —
 * the gateway's upstreams, or `up`'s workers (named by node id, drained by node id).
 * No external assets, so it works on an air-gapped host; it relies on the page's own
 * origin, so it is for loopback use (an SSH tunnel) like the rest of the admin API.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Miniscale gateway</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;min-width:40rem}th,td{padding:.35rem .8rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child,td.state{text-align:left}
.healthy{color:#17803d}.slow-start{color:#a16207}.ejected,.unhealthy{color:#b91c1c}.draining{color:#6b7280}
button{font:inherit}
</style></head><body>
<h1>Miniscale gateway</h1><p>Algorithm: <b id="alg">…</b> · <a href="/_gateway/metrics">metrics</a></p>
<table><thead><tr><th>upstream</th><th>state</th><th>in flight</th><th>EWMA ms</th><th>requests</th><th>failures</th><th></th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function refresh() {
  try {
    const r = await fetch('/_gateway/upstreams', { cache: 'no-store' });
    const d = await r.json();
    document.getElementById('alg').textContent = d.algorithm;
    document.getElementById('rows').innerHTML = d.upstreams.map((u) => '<tr><td>' + esc(u.nodeId ? u.nodeId + ' (PID ' + u.pid + ')' : u.url) + '</td><td class="state ' + esc(u.state) + '">' + esc(u.state) +
      '</td><td>' + u.inflight + '</td><td>' + u.ewmaMs.toFixed(2) + '</td><td>' + u.requests + '</td><td>' + u.failures +
      '</td><td><button data-id="' + esc(u.nodeId || new URL(u.url).host) + '" data-op="' + (u.state === 'draining' ? 'undrain' : 'drain') + '">' + (u.state === 'draining' ? 'undrain' : 'drain') + '</button></td></tr>').join('');
  } catch (e) { /* the next tick tries again */ }
}
document.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-id]');
  if (!b) return;
  await fetch('/_gateway/upstreams/' + encodeURIComponent(b.dataset.id) + '/' + b.dataset.op, { method: 'POST' });
  refresh();
});
refresh(); setInterval(refresh, 1000);
</script></body></html>
`;
