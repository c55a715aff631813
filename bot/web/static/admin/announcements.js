/**
 * Announcements (issue 21): post one for an audience and a time window, list the active and
 * scheduled ones, end one. Server text goes in as textContent only.
 */

import { $, el } from '../shared/dom.js';
import { api } from './session.js';

/** The request body of the form's values (empty fields left to the server's defaults). */
export function announcementBody(values) {
  const body = { text: values.text.trim() };
  for (const key of ['title', 'kind', 'locale', 'page', 'plan']) {
    if (values[key]?.trim()) body[key] = values[key].trim();
  }
  // datetime-local has no zone: it is the admin's local time.
  if (values.until) body.until = new Date(values.until).toISOString();
  return body;
}

function row(a) {
  const audience = [a.locale && `locale ${a.locale}`, a.page && `page ${a.page}`, a.plan && `plan ${a.plan}`]
    .filter(Boolean)
    .join(', ');
  return el(
    'tr',
    { dataset: { announcementId: a.id } },
    el('td', { text: a.state }),
    el('td', { text: a.kind }),
    el('td', {}, el('strong', { text: a.title }), el('div', { className: 'muted', text: a.text })),
    el('td', { text: audience || 'everyone' }),
    el('td', { text: new Date(a.starts_at).toLocaleString() }),
    el('td', { text: a.until ? new Date(a.until).toLocaleString() : 'until ended' }),
    el('td', {}, el('button', { className: 'btn', text: 'End', attrs: { type: 'button' }, on: { click: () => end(a) } })),
  );
}

/** Load the active and scheduled announcements and draw the table. */
export async function loadAnnouncements() {
  const response = await api('GET', '/api/announcements');
  const announcements = await response.json();
  $('announcements').querySelector('tbody').replaceChildren(...announcements.map(row));
  $('announcements-empty').hidden = announcements.length > 0;
}

async function end(a) {
  try {
    await api('POST', `/api/announcements/${encodeURIComponent(a.id)}/end`);
    $('announce-status').textContent = `Ended "${a.title}"`;
    await loadAnnouncements();
  } catch (error) {
    $('announce-status').textContent = `Could not end "${a.title}": ${error.message}`;
  }
}

/** Post the form's announcement. */
export async function postAnnouncement(event) {
  event.preventDefault();
  const form = event.target;
  const values = Object.fromEntries(new FormData(form).entries());
  try {
    const response = await api('POST', '/api/announcements', announcementBody(values));
    const posted = await response.json();
    $('announce-status').textContent = `Posted "${posted.title}" (${posted.state})`;
    form.reset();
    await loadAnnouncements();
  } catch (error) {
    $('announce-status').textContent = `Could not post: ${error.message}`;
  }
}
