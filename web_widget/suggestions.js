/**
 * Page-aware help (issue 21): the questions and articles editors mapped to the host page, shown
 * in the open widget before the customer types (a question is sent when clicked), and the
 * optional nudge by the launcher: after the server's `nudge_after_s` on a mapped page, once per
 * page per visitor, never while the visitor is typing in the page.
 */

import { safeUrl } from './render.js';
import { h } from './view.js';

const NUDGE_KEY = 'supportbot:nudged:';

/** The suggestions of a GET /api/suggestions body, cleaned: text questions, http(s) links only. */
export function suggestionItems(body, baseUrl) {
  const questions = (Array.isArray(body?.questions) ? body.questions : [])
    .filter((q) => typeof q === 'string' && q.trim())
    .map((q) => q.trim());
  const articles = (Array.isArray(body?.articles) ? body.articles : [])
    .map((a) => ({ title: String(a?.title || ''), href: safeUrl(String(a?.url || ''), baseUrl) }))
    .filter((a) => a.title && a.href);
  return { questions, articles };
}

/** Whether the visitor is typing in the host page (a text field or an editable element). */
export function typingIn(element) {
  if (!element) return false;
  const tag = String(element.tagName || '').toLowerCase();
  return tag === 'textarea' || tag === 'select' || element.isContentEditable === true
    || (tag === 'input' && !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(element.type));
}

/**
 * Suggestions for `page`: `place(node)` puts the card in the panel, `placeNudge(node)` by the
 * launcher, `ask(text)` sends a question, `openChat()` opens the panel. `storage` is
 * localStorage (or null when blocked), `active()` the host page's focused element.
 */
export function createSuggestions({
  api, t, page, locale, baseUrl, place, placeNudge, ask, openChat,
  storage = null, timers = globalThis, active = () => null,
}) {
  let card = null;
  let nudge = null;
  let nudgeTimer = null;
  let done = false;

  function hide() {
    done = true;
    card?.remove();
    dismissNudge();
  }

  function dismissNudge() {
    timers.clearTimeout(nudgeTimer);
    nudge?.remove();
    nudge = null;
  }

  function build({ questions, articles }) {
    return h(
      'div',
      { class: 'card suggestions', role: 'group', 'aria-labelledby': 'sb-suggested' },
      h('p', { id: 'sb-suggested', text: t('suggested') }),
      ...questions.map((q) => h('button', {
        type: 'button', class: 'secondary suggestion', text: q,
        onclick: () => {
          hide();
          ask(q);
        },
      })),
      ...articles.map((a) => h('a', { href: a.href, target: '_blank', rel: 'noopener', text: a.title })),
    );
  }

  function scheduleNudge(path, seconds) {
    const key = NUDGE_KEY + path;
    try {
      if (!seconds || storage?.getItem(key)) return;
    } catch {
      return;
    }
    const appear = () => {
      if (done) return;
      if (typingIn(active())) {
        nudgeTimer = timers.setTimeout(appear, 5000); // never while the visitor types
        return;
      }
      try {
        storage?.setItem(key, '1');
      } catch {
        // storage blocked: the nudge may show again on a later visit
      }
      nudge = h(
        'div',
        { class: 'nudge', role: 'status' },
        h('button', { type: 'button', class: 'nudge-text', text: t('nudge'), onclick: () => openChat() }),
        h('button', { type: 'button', class: 'nudge-close', 'aria-label': t('dismissPrompt'), text: '×', onclick: dismissNudge }),
      );
      placeNudge(nudge);
    };
    nudgeTimer = timers.setTimeout(appear, seconds * 1000);
  }

  return {
    /** Fetch and show the page's suggestions (nothing when none or on error). */
    async load() {
      let body;
      try {
        body = await api.suggestions(page, locale);
      } catch {
        return;
      }
      const items = suggestionItems(body, baseUrl);
      if (done || !(items.questions.length || items.articles.length)) return;
      card = build(items);
      place(card);
      scheduleNudge(String(body.path || '/'), Number(body.nudge_after_s) || 0);
    },
    /** The customer wrote or the panel opened: no more nudge; `typed` hides the card too. */
    seen(typed = false) {
      dismissNudge();
      if (typed) hide();
    },
  };
}
