/**
 * Active and scheduled announcements (issue 21) beside the queue: what customers see in the
 * widget's banner and what the bot answers from. Refreshed every minute while signed in.
 */

import { $, el, show } from '../shared/dom.js';
import { api } from './session.js';
import { state } from './state.js';

const REFRESH_MS = 60_000;
let timer = null;

/** One announcement as a list item: state, kind, title, audience and end, all as text. */
export function announcementItem(a) {
  const audience = [a.locale && `locale ${a.locale}`, a.page && `page ${a.page}`, a.plan && `plan ${a.plan}`]
    .filter(Boolean)
    .join(', ');
  const until = a.until ? `until ${new Date(a.until).toLocaleString()}` : 'until ended';
  return el(
    'li',
    { className: `announcement ${a.state}`, dataset: { announcementId: a.id } },
    el('strong', { text: a.title }),
    el('span', { className: 'muted small', text: ` ${a.kind} · ${a.state}${a.status ? ` (${a.status})` : ''}` }),
    el('p', { className: 'small', text: a.text }),
    el('p', { className: 'muted small', text: `${audience || 'everyone'} · ${until}` }),
  );
}

/** Load the announcements and list them (hidden when there are none). */
export async function loadAnnouncements() {
  clearTimeout(timer);
  if (!state.token) return;
  try {
    const announcements = await api('GET', '/api/agent/announcements');
    $('announcement-list').replaceChildren(...announcements.map(announcementItem));
    show($('announcements'), announcements.length > 0);
  } catch {
    /* the queue matters more: keep what is shown and try again later */
  }
  timer = setTimeout(loadAnnouncements, REFRESH_MS);
}
