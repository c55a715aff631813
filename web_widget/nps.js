/**
 * The NPS survey (issue 21): once a chat is over, if GET .../nps says it is due, ask "How
 * likely are you to recommend us?" 0-10 with an optional comment. A 409 (answered lately, e.g.
 * in another tab) removes the card quietly.
 */

import { h } from './view.js';

const MAX_COMMENT = 2000;

/** The POST body of an answer: the score and the trimmed, bounded comment. */
export function npsBody(score, comment) {
  return { score, comment: String(comment || '').trim().slice(0, MAX_COMMENT) };
}

/**
 * The survey of the current chat: `credentials()` gives {id, token} or null, `place(node)` puts
 * the card in the panel.
 */
export function createNps({ api, t, credentials, place }) {
  let asked = '';
  let card = null;

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
            if (error?.status === 409) form.remove();
            else send.disabled = false;
            return;
          }
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
      if (!chat || asked === chat.id) return;
      asked = chat.id;
      try {
        if (!(await api.npsDue(chat.id, chat.token))?.due) return;
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
