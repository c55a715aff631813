/**
 * Announcements (issue 21): the active ones for this page and language, shown above the
 * message log before the customer types, each dismissible (remembered like the session).
 * Title and text become text nodes or render.js's escaped markdown subset, never markup.
 */

import { parseMessage, toNodes } from './render.js';

const DISMISSED_KEY = 'dismissed-announcements';

/** The query string of GET /api/announcements/active for a language and a page URL. */
export function announcementsQuery(locale, page) {
  return `?locale=${encodeURIComponent(locale || '')}&page=${encodeURIComponent(page || '')}`;
}

/**
 * Banners in `container`, built with `doc`: `load()` resolves to the active announcements
 * ([{id, kind, title, text}]), `store` remembers the dismissed ids, `t` words the close button.
 */
export function createAnnouncementBanner(doc, container, { load, store, t, baseUrl }) {
  let active = [];
  const dismissed = () => store.get(DISMISSED_KEY) || [];

  function card(announcement) {
    const node = doc.createElement('div');
    node.className = 'announcement';
    node.setAttribute('data-announcement', announcement.id);
    node.setAttribute('data-kind', announcement.kind);
    const title = doc.createElement('strong');
    title.textContent = announcement.title;
    const text = doc.createElement('div');
    text.appendChild(toNodes(doc, parseMessage(announcement.text, [], baseUrl)));
    const close = doc.createElement('button');
    close.setAttribute('type', 'button');
    close.setAttribute('aria-label', t('dismiss'));
    close.textContent = '×';
    close.onclick = () => {
      store.set(DISMISSED_KEY, [...dismissed(), announcement.id].slice(-50));
      render();
    };
    node.appendChild(title);
    node.appendChild(text);
    node.appendChild(close);
    return node;
  }

  function render() {
    const hidden = new Set(dismissed());
    const shown = active.filter((a) => !hidden.has(a.id));
    container.replaceChildren(...shown.map(card));
    container.hidden = !shown.length;
  }

  return {
    /** Fetch the active announcements again; a failed fetch keeps what is shown. */
    async refresh() {
      try {
        active = await load();
      } catch {
        return;
      }
      render();
    },
  };
}
