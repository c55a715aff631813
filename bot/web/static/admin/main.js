/**
 * supportbot admin dashboard: log in through the agent API, fetch /api/analytics, draw it as
 * SVG charts and tables. Plain ES modules, no build step; every text from the server goes in
 * as textContent.
 */

import { $, el } from '../shared/dom.js';
import { loadAnnouncements, postAnnouncement } from './announcements.js';
import { render } from './report.js';
import { api, login, logout, showDashboard, showLogin, signedIn } from './session.js';
import { loadStaff } from './staff.js';

async function load() {
  const days = $('days').value;
  $('status').textContent = 'Loading…';
  try {
    const response = await api('GET', `/api/analytics?days=${encodeURIComponent(days)}`);
    render(await response.json());
    await loadStaff();
    await loadAnnouncements();
    $('status').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    if (error.status === 401) return showLogin('Your session ended; sign in again.');
    if (error.status === 403) return showLogin('This account is not an admin.');
    $('status').textContent = `Could not load analytics: ${error.message}`;
  }
  return undefined;
}

async function exportCsv() {
  try {
    const days = $('days').value;
    const response = await api('GET', `/api/analytics.csv?days=${encodeURIComponent(days)}`);
    const url = URL.createObjectURL(await response.blob());
    const link = el('a', { attrs: { href: url, download: `supportbot-${days}d.csv` } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    $('status').textContent = `Export failed: ${error.message}`;
  }
}

function start() {
  $('login-form').addEventListener('submit', (event) => login(event, load));
  $('logout').addEventListener('click', logout);
  $('refresh').addEventListener('click', load);
  $('days').addEventListener('change', load);
  $('export-csv').addEventListener('click', exportCsv);
  $('announce-form').addEventListener('submit', postAnnouncement);
  if (signedIn()) showDashboard(load);
  else showLogin();
}

start();
