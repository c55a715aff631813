/**
 * The widget's DOM inside its shadow root: launcher, and a panel with header, banner, message
 * log, extras (offline form, satisfaction survey) and composer. Nodes are built with
 * createElement and textContent only. It holds no chat state beyond what is on screen.
 */

import { parseMessage, safeUrl, toNodes } from './render.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS = {
  chat: 'M21 11.5a8.4 8.4 0 0 1-12.2 7.5L3 21l2-5.6A8.4 8.4 0 1 1 21 11.5z',
  close: 'M18 6 6 18M6 6l12 12',
  send: 'M22 2 11 13M22 2l-7 20-4-9-9-4z',
  thumb: 'M7 11v10H3V11zm0 0 4-8a2.5 2.5 0 0 1 3.5 2.6L14 10h5.5a2 2 0 0 1 2 2.4l-1.6 7A2 2 0 0 1 18 21H7',
};
const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), [tabindex="0"]';

function icon(name, rotate = false) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  if (rotate) path.setAttribute('transform', 'rotate(180 12 12)');
  svg.append(path);
  return svg;
}

/** An element: `text` sets textContent, `on<event>` adds a listener, the rest are attributes. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter(Boolean));
  return node;
}

const show = (node, visible) => {
  node.hidden = !visible;
};

/**
 * Build the widget in `root` (an element in the shadow root). `t` translates, `translatorFor`
 * (language) gives another language's (the survey asks in the chat's language), `handlers` gets
 * send(text), toggle(), close(), human(), cancelPerson(), email(address), rate(turnId, rating),
 * rateChat(n), newChat(), endChat().
 */
export function createView(root, { t, translatorFor = () => t, title, greeting, launcherText, handlers, baseUrl }) {
  const byTurn = new Map();
  const byClient = new Map();
  const notices = new Map();
  let draftNode = null;
  let agentName = '';
  let ended = false;

  const launcher = h(
    'button',
    {
      type: 'button',
      class: 'launcher',
      'aria-expanded': 'false',
      'aria-controls': 'sb-panel',
      'aria-haspopup': 'dialog',
      onclick: () => handlers.toggle(),
    },
    icon('chat'),
    h('span', { class: 'launcher-text', text: launcherText || t('launcher') }),
  );

  const status = h('p', { class: 'status', id: 'sb-status', text: t('statusBot') });
  const endChat = h('button', {
    type: 'button',
    class: 'text-button',
    text: t('endChat'),
    hidden: true,
    onclick: () => handlers.endChat(),
  });
  const header = h(
    'div',
    { class: 'header' },
    h('div', { class: 'heading' }, h('h2', { id: 'sb-title', text: title || t('title') }), status),
    endChat,
    h(
      'button',
      { type: 'button', class: 'icon-button close', 'aria-label': t('close'), onclick: () => handlers.close() },
      icon('close'),
    ),
  );

  const banner = h('div', { class: 'banner', role: 'status' });
  const announcements = h('div', { class: 'announcements', role: 'region', 'aria-label': t('announcements'), hidden: true });
  const typing = h(
    'div',
    { class: 'typing', hidden: true },
    h('span', { class: 'dot' }),
    h('span', { class: 'dot' }),
    h('span', { class: 'dot' }),
    h('span', { class: 'sr-only', text: t('typing') }),
  );
  const log = h('div', {
    class: 'log',
    role: 'log',
    'aria-live': 'polite',
    'aria-label': t('log'),
    tabindex: '0',
  });

  const emailInput = h('input', { id: 'sb-email', type: 'email', required: true, autocomplete: 'email' });
  const offlineForm = h(
    'form',
    {
      class: 'card offline',
      hidden: true,
      onsubmit: (event) => {
        event.preventDefault();
        if (emailInput.checkValidity()) handlers.email(emailInput.value.trim());
        else emailInput.reportValidity();
      },
    },
    h('p', { text: t('offlineIntro') }),
    h('label', { for: 'sb-email', text: t('email') }),
    h('div', { class: 'row' }, emailInput, h('button', { type: 'submit', class: 'primary', text: t('emailSend') })),
  );

  const csatButtons = [1, 2, 3, 4, 5].map((n) =>
    h('button', { type: 'button', class: 'score', text: String(n), onclick: () => handlers.rateChat(n) }),
  );
  const csatThanks = h('p', { class: 'thanks', role: 'status' });
  const csatQuestion = h('p', { id: 'sb-csat-question' });
  const csatLow = h('span');
  const csatHigh = h('span');
  const csat = h(
    'div',
    { class: 'card csat', role: 'group', 'aria-labelledby': 'sb-csat-question', hidden: true },
    csatQuestion,
    h('div', { class: 'scale' }, ...csatButtons),
    h('div', { class: 'scale-ends', 'aria-hidden': 'true' }, csatLow, csatHigh),
    csatThanks,
  );
  let csatT = t;
  /** Word `node` in `language` (the chat's), or the page's when it is not known. */
  function wordInChatLanguage(node, key, language) {
    node.textContent = (language ? translatorFor(language) : t)(key);
    if (language) node.setAttribute('lang', language);
  }

  /** Word the survey in `language` (the chat's), or the page's when it is not known. */
  function wordSurvey(language) {
    csatT = language ? translatorFor(language) : t;
    if (language) csat.setAttribute('lang', language);
    else csat.removeAttribute('lang');
    csatQuestion.textContent = `${csatT('chatEnded')} ${csatT('csatQuestion')}`;
    csatLow.textContent = csatT('csatLow');
    csatHigh.textContent = csatT('csatHigh');
    csatButtons.forEach((button, i) => button.setAttribute('aria-label', csatT('csatScore', { n: i + 1 })));
    if (csatThanks.textContent) csatThanks.textContent = csatT('csatThanks');
  }
  wordSurvey('');
  const newChat = h('button', {
    type: 'button',
    class: 'primary wide',
    text: t('newChat'),
    hidden: true,
    onclick: () => handlers.newChat(),
  });
  const actions = h(
    'div',
    { class: 'actions' },
    h('button', { type: 'button', class: 'secondary', text: t('talkToPerson'), onclick: () => handlers.human() }),
  );
  const cancelPerson = h('button', {
    type: 'button', class: 'secondary', text: t('cancelPerson'), onclick: () => handlers.cancelPerson(),
  });
  const waitingActions = h('div', { class: 'actions', hidden: true }, cancelPerson);

  const input = h('textarea', {
    id: 'sb-input',
    rows: '1',
    maxlength: '4000',
    placeholder: t('placeholder'),
    autocomplete: 'off',
  });
  const composer = h(
    'form',
    {
      class: 'composer',
      onsubmit: (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        input.value = '';
        fitInput();
        handlers.send(text);
      },
    },
    h('label', { class: 'sr-only', for: 'sb-input', text: t('message') }),
    input,
    h('button', { type: 'submit', class: 'send', 'aria-label': t('send') }, icon('send')),
  );

  function fitInput() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  }
  input.addEventListener('input', fitInput);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  const extras = h('div', { class: 'extras' }, offlineForm, csat, newChat);
  const panel = h(
    'div',
    {
      class: 'panel',
      id: 'sb-panel',
      role: 'dialog',
      'aria-modal': 'true',
      'aria-labelledby': 'sb-title',
      'aria-describedby': 'sb-status',
      hidden: true,
    },
    header,
    banner,
    announcements,
    log,
    extras,
    actions,
    waitingActions,
    composer,
  );
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      handlers.close();
    } else if (event.key === 'Tab') {
      trapFocus(event);
    }
  });
  root.append(launcher, panel);

  function trapFocus(event) {
    const items = [...panel.querySelectorAll(FOCUSABLE)].filter((n) => n.getClientRects().length);
    if (!items.length) return;
    const active = root.getRootNode().activeElement;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && (active === first || !panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  // Keep the newest message in view when the log shrinks (a form or survey appears below it,
  // the phone keyboard opens), unless the customer scrolled up to read.
  let pinned = true;
  log.addEventListener('scroll', () => {
    pinned = nearBottom();
  });
  new ResizeObserver(() => {
    if (pinned) log.scrollTop = log.scrollHeight;
  }).observe(log);

  function place(node, seq, forceScroll = false) {
    const follow = forceScroll || nearBottom();
    const later =
      seq === undefined ? null : [...log.children].find((c) => c.dataset.seq && Number(c.dataset.seq) > seq);
    log.insertBefore(node, later || (draftNode?.isConnected ? draftNode : typing));
    if (follow) log.scrollTop = log.scrollHeight;
  }

  function who(role) {
    if (role === 'customer') return h('span', { class: 'sr-only', text: `${t('you')}:` });
    if (role === 'agent') return h('span', { class: 'who', text: agentName || t('agent') });
    return h('span', { class: 'sr-only', text: `${t('assistant')}:` });
  }

  function richText(text, citations) {
    return toNodes(document, parseMessage(text, citations, baseUrl), (n, source) => t('source', { n, title: source }));
  }

  function sources(citations) {
    const items = citations.map((c) => {
      const href = c.url ? safeUrl(c.url, baseUrl) : null; // "Your account" has no page
      const label = c.title || c.url;
      return h(
        'li',
        { value: c.n },
        href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', text: label }) : label,
      );
    });
    return h('div', { class: 'sources' }, h('p', { class: 'sources-title', text: t('sources') }), h('ol', {}, ...items));
  }

  function rating(turnId) {
    const buttons = ['up', 'down'].map((value) =>
      h(
        'button',
        {
          type: 'button',
          class: 'icon-button',
          'data-rating': value,
          'aria-label': t(value === 'up' ? 'helpful' : 'notHelpful'),
          'aria-pressed': 'false',
          onclick: () => handlers.rate(turnId, value),
        },
        icon('thumb', value === 'down'),
      ),
    );
    return h('div', { class: 'rate', role: 'group', 'aria-label': t('rate') }, ...buttons, h('span', { class: 'rated' }));
  }

  function message(role, body, attrs = {}) {
    return h('div', { class: `message ${role}`, ...attrs }, who(role), h('div', { class: 'bubble', dir: 'auto' }, body));
  }

  function noticeNode(text) {
    return h('p', { class: 'notice', dir: 'auto', text });
  }

  function greet() {
    log.replaceChildren(message('bot', richText(greeting || t('greeting'), []), { 'data-greeting': '' }), typing);
  }
  greet();

  return {
    input,
    announcements,

    /** Add a card (suggestions, a survey) above the chat's own extras, or by the launcher. */
    place(node, byLauncher = false) {
      if (byLauncher) root.insertBefore(node, launcher);
      else extras.prepend(node);
    },

    /** Show the panel and focus the message box (or the first control when it is hidden). */
    open() {
      show(panel, true);
      launcher.setAttribute('aria-expanded', 'true');
      root.classList.add('is-open');
      log.scrollTop = log.scrollHeight;
      const target = composer.hidden ? panel.querySelector(FOCUSABLE) : input;
      target?.focus();
    },

    /** Hide the panel; focus goes back to the launcher if it was inside the widget. */
    close() {
      const hadFocus = panel.contains(root.getRootNode().activeElement);
      show(panel, false);
      launcher.setAttribute('aria-expanded', 'false');
      root.classList.remove('is-open');
      if (hadFocus) launcher.focus();
    },

    get isOpen() {
      return !panel.hidden;
    },

    /** Show a stored turn once (by id); a system turn takes over a notice with its text. */
    addTurn(turn) {
      if (byTurn.has(turn.id)) return;
      let node;
      if (turn.role === 'system') {
        node = notices.get(turn.text);
        if (node) {
          notices.delete(turn.text);
          node.dataset.seq = turn.seq;
          byTurn.set(turn.id, node);
          return;
        }
        node = noticeNode(turn.text);
      } else if (turn.role === 'customer') {
        node = message('customer', turn.text);
      } else {
        const citations = turn.role === 'bot' ? turn.citations || [] : [];
        node = message(turn.role === 'agent' ? 'agent' : 'bot', richText(turn.text, citations));
        if (turn.role === 'bot') {
          if (citations.length) node.append(sources(citations));
          node.append(rating(turn.id));
        }
      }
      node.dataset.seq = turn.seq;
      node.dataset.turnId = turn.id;
      byTurn.set(turn.id, node);
      place(node, turn.seq);
    },

    /** A message the customer just sent, not yet acknowledged. */
    addPending(clientId, text) {
      const node = message('customer', text, { 'data-state': 'sending' });
      node.append(h('p', { class: 'delivery', text: t('sending') }));
      byClient.set(clientId, node);
      place(node, undefined, true);
    },

    /** The server stored the pending message as `turn`. */
    markSent(clientId, turn) {
      const node = byClient.get(clientId);
      byClient.delete(clientId);
      if (!node) {
        this.addTurn(turn);
        return;
      }
      node.removeAttribute('data-state');
      node.querySelector('.delivery')?.remove();
      node.dataset.seq = turn.seq;
      node.dataset.turnId = turn.id;
      byTurn.set(turn.id, node);
    },

    markRetrying(clientId) {
      const node = byClient.get(clientId);
      if (!node) return;
      node.dataset.state = 'retrying';
      node.querySelector('.delivery').textContent = t('retrying');
    },

    markFailed(clientId, reason) {
      const node = byClient.get(clientId);
      byClient.delete(clientId);
      if (!node) return;
      node.dataset.state = 'failed';
      node.querySelector('.delivery').textContent = t('notSent', { reason });
    },

    /** The answer as it streams in (null removes it). */
    setDraft(text) {
      if (text === null) {
        draftNode?.remove();
        draftNode = null;
      } else {
        const follow = nearBottom();
        const bubble = richText(text, []);
        if (!draftNode) {
          draftNode = message('bot', bubble, { 'aria-busy': 'true' });
          log.insertBefore(draftNode, typing);
        } else {
          draftNode.querySelector('.bubble').replaceChildren(bubble);
        }
        if (follow) log.scrollTop = log.scrollHeight;
      }
      show(typing, typing.dataset.on === 'true' && !draftNode);
    },

    setTyping(on) {
      typing.dataset.on = String(on);
      show(typing, on && !draftNode);
      if (on) log.scrollTop = log.scrollHeight;
    },

    /** A line of status in the conversation (not stored; a later stored copy replaces it). */
    notice(text) {
      if (notices.has(text) || [...byTurn.values()].some((n) => n.classList.contains('notice') && n.textContent === text)) {
        return;
      }
      const node = noticeNode(text);
      notices.set(text, node);
      place(node, undefined, true);
    },

    /** Header status, available actions and survey for the mode. */
    setMode({ mode, agent, offline, emailGiven, started, csat: score, language = '' }) {
      agentName = agent;
      const closed = mode === 'closed';
      const closing = closed && !ended;
      ended = closed;
      let key = 'statusBot';
      if (closed) key = 'statusClosed';
      else if (mode === 'agent') key = 'statusAgent';
      else if (offline) key = 'statusOffline';
      else if (mode === 'waiting') key = 'statusWaiting';
      status.textContent = t(key, { name: agent || t('agent') });
      show(actions, mode === 'bot' && !offline);
      show(waitingActions, mode === 'waiting'); // never stranded: take the request back (issue 17)
      if (mode === 'waiting') wordInChatLanguage(cancelPerson, 'cancelPerson', language);
      if (closed) wordSurvey(language);
      show(endChat, started && !closed);
      show(offlineForm, offline && !emailGiven && !closed);
      show(csat, closed && started);
      show(newChat, closed);
      show(composer, !closed);
      if (closed && score) this.csatDone(score, false);
      // The message box just disappeared: keep focus in the panel, on the survey.
      if (closing && !panel.hidden) (started && !score ? csatButtons[0] : newChat).focus();
    },

    setBanner(visible) {
      banner.textContent = visible ? t('unreachable') : '';
    },

    setRating(turnId, value) {
      const node = byTurn.get(turnId);
      if (!node) return;
      for (const button of node.querySelectorAll('[data-rating]')) {
        button.setAttribute('aria-pressed', String(button.dataset.rating === value));
      }
      node.querySelector('.rated').textContent = t('rated');
    },

    /** The chat was rated `score`; `focus` moves focus on to "Start a new chat". */
    csatDone(score, focus = true) {
      for (const button of csatButtons) {
        button.disabled = true;
        button.setAttribute('aria-pressed', String(Number(button.textContent) === score));
      }
      csatThanks.textContent = csatT('csatThanks');
      if (focus) newChat.focus();
    },

    setEmail(value) {
      if (!emailInput.value) emailInput.value = value;
    },

    /** A fresh conversation: only the greeting. */
    reset() {
      byTurn.clear();
      byClient.clear();
      notices.clear();
      draftNode = null;
      greet();
      for (const button of csatButtons) {
        button.disabled = false;
        button.removeAttribute('aria-pressed');
      }
      csatThanks.textContent = '';
      wordSurvey('');
    },
  };
}
