// The live view a run serves on `/` of its metrics port: one static HTML page, no build step, whose inline script
// polls /status.json every few seconds and draws, per pool, the figures of `gecko-collector status` and a bar
// chart of the day's trades per hour (inline SVG). Data is put in with textContent only: pool names come from the
// API and are never parsed as HTML.

export const STATUS_PAGE_REFRESH_MS = 5000;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gecko-collector status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; background: #fafbfc; }
  h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
  #head { color: #57606a; margin-bottom: 1rem; }
  #run { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin-bottom: 1rem; }
  #run div { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .4rem .7rem; }
  #run b { display: block; font-size: .75rem; color: #57606a; font-weight: 600; }
  table { border-collapse: collapse; background: #fff; border: 1px solid #d0d7de; }
  th, td { padding: .3rem .6rem; border-bottom: 1px solid #eaeef2; text-align: right; white-space: nowrap; }
  th { font-size: .75rem; color: #57606a; background: #f6f8fa; }
  td.pool, th.pool { text-align: left; }
  td.pool small { display: block; color: #57606a; font-family: ui-monospace, monospace; }
  .bad { color: #cf222e; font-weight: 600; }
  .ok { color: #1a7f37; }
  svg.chart { background: #eef2f6; }
  svg rect { fill: #0969da; }
  #error { color: #cf222e; }
</style>
</head>
<body>
<h1>gecko-collector status</h1>
<div id="head">loading…</div>
<div id="error"></div>
<div id="run"></div>
<table id="pools">
  <thead><tr>
    <th class="pool">pool</th><th>last trade</th><th>trades/min</th><th>poll interval</th><th>rate/s</th>
    <th>coverage</th><th>open gaps</th><th>missed (est.)</th><th>trades per hour, last 24 h</th>
  </tr></thead>
  <tbody></tbody>
</table>
<script>
const NONE = '\\u2013';
const REFRESH_MS = ${STATUS_PAGE_REFRESH_MS};
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
};
const age = (s) => s === null ? NONE : s < 120 ? s.toFixed(0) + ' s ago' : s < 7200 ? (s / 60).toFixed(1) + ' min ago' : (s / 3600).toFixed(1) + ' h ago';
const num = (n, d = 0) => n === null || n === undefined ? NONE : n.toLocaleString('en-US', { maximumFractionDigits: d });
const time = (iso) => iso ? iso.slice(0, 19).replace('T', ' ') + 'Z' : NONE;

function chart(counts) {
  const NS = 'http://www.w3.org/2000/svg';
  const w = 4, h = 24, top = Math.max(1, ...counts);
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('width', String(counts.length * (w + 1)));
  svg.setAttribute('height', String(h));
  svg.setAttribute('class', 'chart');
  counts.forEach((n, i) => {
    const bar = Math.round((n / top) * h);
    const r = document.createElementNS(NS, 'rect');
    r.setAttribute('x', String(i * (w + 1)));
    r.setAttribute('y', String(h - bar));
    r.setAttribute('width', String(w));
    r.setAttribute('height', String(bar));
    const title = document.createElementNS(NS, 'title');
    title.textContent = n + ' trades';
    r.append(title);
    svg.append(r);
  });
  return svg;
}

function card(label, value, bad = false) {
  return el('div', {}, el('b', {}, label), el('span', bad ? { class: 'bad' } : {}, value));
}

function render(s) {
  document.getElementById('head').textContent = s.engine + ' ' + s.database + ' \\u00b7 ' + time(s.at) + ' \\u00b7 ' + s.pools.length + ' pools';
  const run = document.getElementById('run');
  run.replaceChildren();
  if (s.run) {
    const r = s.run;
    run.append(
      card('run', r.state === 'running' ? 'since ' + time(r.startedAt) : r.state + ' ' + time(r.figuresAt)),
      card('breaker', r.breaker.state + ' (' + r.breaker.opens + ' opens)', r.breaker.state !== 'CLOSED'),
      card('spool', r.spool.batches === 0 ? 'empty' : r.spool.batches + ' batches, ' + r.spool.rows + ' rows', r.spool.batches > 0),
      card('writer queue', num(r.writerBacklog)),
      card('budget plan', r.budget ? num(r.budget.neededPerMin) + ' of ' + num(r.budget.budgetPerMin) + ' calls/min' : NONE, r.budget !== null && r.budget.neededPerMin > r.budget.budgetPerMin),
      card('alerts', r.alerts.length === 0 ? 'none' : r.alerts.join(', '), r.alerts.length > 0),
    );
  }
  const body = document.querySelector('#pools tbody');
  body.replaceChildren(...s.pools.map((p) => {
    const name = el('td', { class: 'pool' }, p.name ?? p.pool);
    if (p.name) name.append(el('small', {}, p.pool));
    const cov = p.coverage === null ? NONE : (Math.floor(p.coverage * 1000) / 10) + '%';
    return el('tr', { 'data-pool': p.pool },
      name,
      el('td', {}, age(p.lastTradeAgeS)),
      el('td', {}, num(p.tradesPerMin, 1)),
      el('td', {}, p.pollIntervalS === null ? NONE : num(p.pollIntervalS, 1) + ' s'),
      el('td', {}, num(p.tradeRatePerS, 2)),
      el('td', p.coverage !== null && p.coverage < 0.99 ? { class: 'bad' } : {}, cov),
      el('td', p.openGaps > 0 ? { class: 'bad' } : {}, num(p.openGaps)),
      el('td', {}, num(p.estimatedMissed)),
      el('td', {}, chart(p.hourly)),
    );
  }));
  document.body.dataset.loaded = s.at;
}

async function refresh() {
  try {
    const res = await fetch('status.json', { cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status + ': ' + (await res.text()));
    render(await res.json());
    document.getElementById('error').textContent = '';
  } catch (err) {
    document.getElementById('error').textContent = 'cannot refresh: ' + err.message;
  }
  setTimeout(refresh, REFRESH_MS);
}
refresh();
</script>
</body>
</html>
`;
