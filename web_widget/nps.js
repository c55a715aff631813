/**
 * The NPS survey (issue 21): once a chat is over, if GET .../nps says it is due, ask "How
 * likely are you to recommend us?" 0-10 with an optional comment. A 409 (answered lately, e.g.
 * in another tab) removes the card quietly. The browser remembers an answer for the period too:
 * the server knows an anonymous visitor's chats apart only by email.
 */

import { h } from './view.js';

const MAX_COMMENT = 2000;
const ANSWERED_KEY = 'supportbot:nps-until';
const DAY_MS = 24 * 60 * 60 * 1000;

/** The POST body of an answer: the score and the trimmed, bounded comment. */
export function npsBody(score, comment) {
  return { score, comment: String(comment || '').trim().slice(0, MAX_COMMENT) };
}

/**
 * The survey of the current chat: `credentials()` gives {id, token} or null, `place(node)` puts
 * the card in the panel; `storage` is localStorage (or null when blocked).
 */
export function createNps({ api, t, credentials, place, storage = null, now = () => Date.now() }) {
  let asked = '';
  let card = null;
  let periodDays = 0;

  function remember() {
    try {
      storage?.setItem(ANSWERED_KEY, String(now() + periodDays * DAY_MS));
    } catch {
      // storage blocked: the server's check is all there is
    }
  }

  function answeredLately() {
    try {
      return Number(storage?.getItem(ANSWERED_KEY) || 0) > now();
    } catch {
      return false;
    }
  }

  function build(chat) {
    let score = null;
    const thanks = h('p', { class: 'thanks', role: 'status' });
    const send = h('button', { type: 'submit', class: 'primary', text: t('npsSend'), disabled: true });
    const buttons = Array.from({ length: 11 }, (_, n) => h('button', {
      type: 'button', class: 'score', text: String(n), 'aria-pressed': 'false',
      onclick: () => {
        score = n;
        buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(i === n)));
        send.disabled = false;
      },
    }));
    const comment = h('textarea', { rows: '2', maxlength: String(MAX_COMMENT), 'aria-label': t('npsComment'), placeholder: t('npsComment') });
    const form = h(
      'form',
      {
        class: 'card nps',
        'aria-labelledby': 'sb-nps-question',
        onsubmit: async (event) => {
          event.preventDefault();
          if (score === null) return;
          send.disabled = true;
          try {
            await api.answerNps(chat.id, chat.token, npsBody(score, comment.value));
          } catch (error) {
            if (error?.status === 409) {
              remember();
              form.remove();
            } else {
              send.disabled = false;
            }
            return;
          }
          remember();
          thanks.textContent = t('npsThanks');
          form.replaceChildren(thanks);
        },
      },
      h('p', { id: 'sb-nps-question', text: t('npsQuestion') }),
      h('div', { class: 'scale nps-scale' }, ...buttons),
      h('div', { class: 'scale-ends', 'aria-hidden': 'true' }, h('span', { text: t('npsLow') }), h('span', { text: t('npsHigh') })),
      comment,
      send,
    );
    return form;
  }

  return {
    /** Ask once per chat, when the server says the customer is due. */
    async offer() {
      const chat = credentials();
      if (!chat || asked === chat.id || answeredLately()) return;
      asked = chat.id;
      try {
        const due = await api.npsDue(chat.id, chat.token);
        periodDays = Number(due?.period_days) || 0;
        if (!due?.due) return;
      } catch {
        return;
      }
      card = build(chat);
      place(card);
    },
    /** A new chat: the old survey goes. */
    reset() {
      card?.remove();
      card = null;
      asked = '';
    },
  };
}
