// Admin analytics dashboard: log in through the agent API, fetch /api/analytics, draw SVG.
// Plain ES module, no dependencies. Every text from the server goes in as textContent.

const TOKEN_KEY = 'supportbot.admin.token';
const NAME_KEY = 'supportbot.admin.name';
const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem(TOKEN_KEY), data: null };

// -- tiny SVG builder ---------------------------------------------------------------------

function el(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

function text(x, y, content, attrs = {}) {
  const node = el('text', { x, y, ...attrs });
  node.textContent = content;
  return node;
}

function tip(content) {
  const node = el('title');
  node.textContent = content;
  return node;
}

const W = 560;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 42 };

function frame(label) {
  return el('svg', {
    viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'svg-chart',
    preserveAspectRatio: 'xMidYMid meet',
  });
}

function axes(svg, yMax, format) {
  const plotH = H - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i += 1) {
    const value = (yMax * i) / 4;
    const y = PAD.top + plotH - (plotH * i) / 4;
    svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
    svg.append(text(PAD.left - 6, y + 4, format(value), { class: 'tick', 'text-anchor': 'end' }));
  }
}

function xLabels(svg, labels, slot) {
  const every = Math.max(1, Math.ceil(labels.length / 10));
  labels.forEach((label, i) => {
    if (i % every !== 0) return;
    const x = PAD.left + slot * i + slot / 2;
    svg.append(text(x, H - PAD.bottom + 16, label, { class: 'tick', 'text-anchor': 'middle' }));
  });
}

function empty(svg, message) {
  svg.append(text(W / 2, H / 2, message, { class: 'empty', 'text-anchor': 'middle' }));
  return svg;
}

// Stacked vertical bars: series = [{name, cls, values}]
export function barChart(label, labels, series, format = (v) => `${Math.round(v)}`) {
  const svg = frame(label);
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  // Counts: a multiple of 4 so the five grid lines fall on whole numbers.
  const yMax = Math.max(4, Math.ceil(Math.max(0, ...totals) / 4) * 4);
  if (!labels.length) return empty(svg, 'No data');
  axes(svg, yMax, format);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / labels.length;
  const width = Math.max(2, slot * 0.7);
  labels.forEach((name, i) => {
    let base = 0;
    for (const s of series) {
      const value = s.values[i] || 0;
      if (value > 0) {
        const h = (plotH * value) / yMax;
        const y = PAD.top + plotH - (plotH * (base + value)) / yMax;
        svg.append(el('rect', {
          x: PAD.left + slot * i + (slot - width) / 2, y, width, height: h,
          class: `bar ${s.cls}`, 'data-label': name, 'data-value': value,
        }, [tip(`${name} · ${s.name}: ${format(value)}`)]));
      }
      base += value;
    }
  });
  xLabels(svg, labels, slot);
  legend(svg, series);
  return svg;
}

// Lines of rates in [0, 1]; null values leave gaps.
export function lineChart(label, labels, series) {
  const svg = frame(label);
  if (!labels.length) return empty(svg, 'No data');
  const pct = (v) => `${Math.round(v * 100)}%`;
  axes(svg, 1, pct);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / labels.length;
  for (const s of series) {
    let path = '';
    s.values.forEach((value, i) => {
      if (value === null || value === undefined) return;
      const x = PAD.left + slot * i + slot / 2;
      const y = PAD.top + plotH - plotH * value;
      path += `${path && s.values[i - 1] !== null && s.values[i - 1] !== undefined ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)} `;
      svg.append(el('circle', { cx: x, cy: y, r: 3, class: `dot ${s.cls}` },
        [tip(`${labels[i]} · ${s.name}: ${pct(value)}`)]));
    });
    if (path) svg.append(el('path', { d: path.trim(), class: `line ${s.cls}` }));
  }
  xLabels(svg, labels, slot);
  legend(svg, series);
  return svg;
}

// Horizontal bars: rows = [{label, value}]
export function hbarChart(label, rows, format = (v) => `${v}`) {
  const svg = frame(label);
  if (!rows.length) return empty(svg, 'No escalations');
  const left = 150;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowH = Math.min(32, (H - 20) / rows.length);
  rows.forEach((row, i) => {
    const y = 10 + i * rowH;
    const width = ((W - left - 60) * row.value) / max;
    svg.append(text(left - 8, y + rowH / 2 + 4, row.label, { class: 'tick', 'text-anchor': 'end' }));
    svg.append(el('rect', {
      x: left, y: y + 3, width: Math.max(1, width), height: rowH - 6, class: 'bar series-2',
      'data-label': row.label, 'data-value': row.value,
    }, [tip(`${row.label}: ${format(row.value)}`)]));
    svg.append(text(left + width + 6, y + rowH / 2 + 4, format(row.value), { class: 'tick' }));
  });
  return svg;
}

function legend(svg, series) {
  if (series.length < 2) return;
  let x = PAD.left;
  for (const s of series) {
    svg.append(el('rect', { x, y: H - 14, width: 10, height: 10, class: `bar ${s.cls}` }));
    svg.append(text(x + 14, H - 5, s.name, { class: 'tick' }));
    x += 24 + s.name.length * 7;
  }
}

// -- API --------------------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (options.body) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      detail = body.detail || detail;
    } catch { /* not JSON */ }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response;
}

// -- rendering --------------------------------------------------------------------------

const pct = (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 1000) / 10}%`);
const secs = (v) => {
  if (v === null || v === undefined) return '–';
  if (v < 90) return `${Math.round(v)} s`;
  if (v < 5400) return `${Math.round(v / 60)} min`;
  return `${Math.round(v / 360) / 10} h`;
};
const num = (v, digits = 2) => (v === null || v === undefined ? '–' : `${Math.round(v * 10 ** digits) / 10 ** digits}`);

// Why a question is a content gap, or how an answer failed (bot/resolution.py).
const REASONS = {
  refused: 'refused',
  low_confidence: 'low confidence',
  thumbs_down: 'thumbs down',
  escalated: 'handed to a person',
  repeat: 'asked again',
  rephrase: 'asked in other words',
  complaint: 'complained',
  person_after_answer: 'asked for a person after the answer',
};
const reasonList = (reasons) => Object.keys(reasons).map((r) => REASONS[r] || r).join(', ');

function kpis(overall) {
  const items = [
    ['Conversations', `${overall.conversations}`],
    ['Bot-resolved (with evidence)', pct(overall.bot_resolved_rate)],
    ['Escalation rate', pct(overall.escalation_rate)],
    ['First agent reply (median)', secs(overall.median_first_agent_reply_s)],
    ['Thumbs up', `${pct(overall.thumbs_up_ratio)} (${overall.thumbs_up}/${overall.thumbs_up + overall.thumbs_down})`],
    ['CSAT', overall.csat_avg === null ? '–' : `${num(overall.csat_avg)} / 5 (${overall.csat_count})`],
  ];
  const box = $('kpis');
  box.replaceChildren(...items.map(([label, value]) => {
    const card = document.createElement('div');
    card.className = 'kpi';
    const v = document.createElement('div');
    v.className = 'kpi-value';
    v.textContent = value;
    const l = document.createElement('div');
    l.className = 'kpi-label';
    l.textContent = label;
    card.append(v, l);
    return card;
  }));
}

// `texts`: how many leading cells are text (the rest are numbers).
function fillTable(id, rows, texts = 1) {
  const body = $(id).querySelector('tbody');
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement('tr');
    cells.forEach((cell, i) => {
      const td = document.createElement('td');
      td.textContent = cell;
      if (i >= texts) td.className = 'num';
      tr.append(td);
    });
    return tr;
  }));
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = $(id).querySelectorAll('th').length;
    td.className = 'muted';
    td.textContent = 'Nothing yet';
    tr.append(td);
    body.append(tr);
  }
}

function chart(name, svg) {
  document.querySelector(`[data-chart="${name}"]`).replaceChildren(svg);
}

export function render(data) {
  state.data = data;
  kpis(data.overall);
  const days = data.daily.map((d) => d.day.slice(5));
  chart('conversations', barChart('Conversations per day', days, [
    { name: 'bot-resolved', cls: 'series-1', values: data.daily.map((d) => d.bot_resolved) },
    { name: 'other', cls: 'series-3', values: data.daily.map((d) => d.conversations - d.bot_resolved) },
  ]));
  chart('rates', lineChart('Bot-resolved and escalation rate', days, [
    { name: 'bot-resolved', cls: 'series-1', values: data.daily.map((d) => d.bot_resolved_rate) },
    { name: 'escalated', cls: 'series-2', values: data.daily.map((d) => d.escalation_rate) },
  ]));
  chart('reasons', hbarChart('Escalations by reason',
    data.escalation_reasons.map((r) => ({ label: r.reason.replaceAll('_', ' '), value: r.count }))));
  const scores = ['1', '2', '3', '4', '5'];
  chart('csat', barChart('CSAT distribution', scores, [
    { name: 'responses', cls: 'series-4', values: scores.map((s) => data.csat_distribution[s] || 0) },
  ]));
  fillTable('top-questions', data.top_questions.map((q) => [q.text, `${q.count}`]));
  fillTable('top-articles', data.top_articles.map((a) => [a.title || a.article_id, `${a.count}`]));
  fillTable('content-gaps', data.content_gaps.map((q) => [q.text, reasonList(q.reasons), `${q.count}`]), 2);
  fillTable('failure-signals', Object.entries(data.failure_signals)
    .filter(([, n]) => n).map(([signal, n]) => [REASONS[signal] || signal, `${n}`]));
  fillTable('daily', [...data.daily].reverse().map((d) => [
    d.day, `${d.conversations}`, pct(d.bot_resolved_rate), pct(d.escalation_rate),
    `${d.thumbs_up}`, `${d.thumbs_down}`, num(d.csat_avg), secs(d.median_first_agent_reply_s),
  ]));
  const quiet = Math.round(data.definitions.resolution_window_s / 60);
  $('definitions').textContent = 'Bot-resolved needs evidence: the customer said it helped, '
    + `gave a thumbs-up or CSAT of 4 or 5, or wrote nothing more for ${quiet} min after a confident answer; `
    + 'and no thumbs-down, question asked again, complaint, request for a person or handoff. '
    + `Same topic when a customer comes back within 24 h: ${data.definitions.same_topic}.`;
}

async function load() {
  const days = $('days').value;
  $('status').textContent = 'Loading…';
  try {
    const response = await api(`/api/analytics?days=${encodeURIComponent(days)}`);
    render(await response.json());
    await loadStaff();
    $('status').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    if (error.status === 401) return showLogin('Your session ended; sign in again.');
    if (error.status === 403) return showLogin('This account is not an admin.');
    $('status').textContent = `Could not load analytics: ${error.message}`;
  }
  return undefined;
}

// -- who takes chats (admins opt in) ------------------------------------------------------

function chatsCell(account) {
  const td = document.createElement('td');
  if (account.role !== 'admin') {
    td.textContent = account.role === 'agent' ? 'always' : 'never';
    return td;
  }
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = account.takes_chats;
  box.setAttribute('aria-label', `${account.display_name} takes chats`);
  box.addEventListener('change', () => setTakesChats(account, box));
  td.append(box);
  return td;
}

function renderStaff(accounts) {
  $('staff').querySelector('tbody').replaceChildren(...accounts.map((account) => {
    const tr = document.createElement('tr');
    tr.dataset.name = account.name;
    const cells = [account.display_name, account.role];
    for (const value of cells) {
      const td = document.createElement('td');
      td.textContent = value;
      tr.append(td);
    }
    const online = document.createElement('td');
    online.className = 'online';
    online.textContent = account.online ? 'yes' : 'no';
    tr.append(chatsCell(account), online);
    return tr;
  }));
}

async function loadStaff() {
  const response = await api('/api/agent/staff');
  renderStaff(await response.json());
}

async function setTakesChats(account, box) {
  box.disabled = true;
  try {
    await api(`/api/agent/staff/${encodeURIComponent(account.id)}/takes-chats`, {
      method: 'PUT', body: JSON.stringify({ takes_chats: box.checked }),
    });
    $('status').textContent = `${account.display_name} ${box.checked ? 'now takes' : 'no longer takes'} chats`;
    await loadStaff();
  } catch (error) {
    box.checked = !box.checked;
    $('status').textContent = `Could not change ${account.display_name}: ${error.message}`;
  } finally {
    box.disabled = false;
  }
}

async function exportCsv() {
  try {
    const days = $('days').value;
    const response = await api(`/api/analytics.csv?days=${encodeURIComponent(days)}`);
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = `supportbot-${days}d.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    $('status').textContent = `Export failed: ${error.message}`;
  }
}

function showLogin(message = '') {
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('dashboard-view').hidden = true;
  $('session').hidden = true;
  $('login-view').hidden = false;
  const error = $('login-error');
  error.textContent = message;
  error.hidden = !message;
}

function showDashboard() {
  $('login-view').hidden = true;
  $('dashboard-view').hidden = false;
  $('session').hidden = false;
  $('whoami').textContent = sessionStorage.getItem(NAME_KEY) || '';
  return load();
}

async function login(event) {
  event.preventDefault();
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  if (!name || !password) return showLogin('Enter your name and password.');
  $('login-submit').disabled = true;
  try {
    state.token = null;
    const response = await api('/api/agent/login', {
      method: 'POST', body: JSON.stringify({ name, password }),
    });
    const body = await response.json();
    if (body.agent.role !== 'admin') {
      await fetch('/api/agent/logout', { method: 'POST', headers: { Authorization: `Bearer ${body.token}` } });
      return showLogin('This account is not an admin.');
    }
    state.token = body.token;
    sessionStorage.setItem(TOKEN_KEY, body.token);
    sessionStorage.setItem(NAME_KEY, body.agent.display_name || body.agent.name);
    $('login-password').value = '';
    return showDashboard();
  } catch (error) {
    return showLogin(error.status === 401 ? 'Wrong name or password.' : error.message);
  } finally {
    $('login-submit').disabled = false;
  }
}

async function logout() {
  try {
    await api('/api/agent/logout', { method: 'POST' });
  } catch { /* the session may be gone already */ }
  showLogin();
}

function start() {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('refresh').addEventListener('click', load);
  $('days').addEventListener('change', load);
  $('export-csv').addEventListener('click', exportCsv);
  if (state.token) showDashboard();
  else showLogin();
}

start();
