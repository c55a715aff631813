/**
 * The widget in an open shadow root of its host element: styles, theme, view and session wired
 * together, and the public API (open, close, identify, on) with its events.
 *
 * WIDGET_CSS (the minified text of widget.css) is defined at build time by build.mjs.
 */

import { createApi } from './api.js';
import { announcementsQuery, createAnnouncementBanner } from './banner.js';
import { cleanCustomer } from './config.js';
import { pickLanguage, textDirection, translator } from './i18n.js';
import { createSession } from './session.js';
import { createStore } from './store.js';
import { createNps } from './nps.js';
import { createSuggestions } from './suggestions.js';
import { parseRgb, textColorOn } from './theme.js';
import { createView } from './view.js';

const EVENTS = ['ready', 'open', 'close', 'message', 'handoff'];
const SESSION_TTL_MS = 24 * 60 * 60 * 1000;

/** Constructable stylesheets need no CSP style-src; a <style> fallback needs 'unsafe-inline'. */
function adoptStyles(shadow) {
  if ('adoptedStyleSheets' in shadow && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(WIDGET_CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style');
    style.textContent = WIDGET_CSS;
    shadow.append(style);
  }
}

/** Brand colour on the root, and a text colour that keeps AA contrast on it. */
function applyBrand(root, color) {
  if (window.CSS?.supports('color', color)) root.style.setProperty('--sb-brand', color);
  else console.warn(`SupportBot: ignoring brand colour "${color}", which is not a CSS colour.`);
  const probe = document.createElement('span');
  probe.style.color = 'var(--sb-brand)';
  root.append(probe);
  const rgb = parseRgb(getComputedStyle(probe).color);
  probe.remove();
  if (rgb) root.style.setProperty('--sb-on-brand', textColorOn(rgb));
}

function createEvents() {
  const listeners = new Map(EVENTS.map((name) => [name, new Set()]));
  let ready = null;
  return {
    on(name, fn) {
      if (!listeners.has(name)) throw new Error(`SupportBot.on: unknown event "${name}"; use one of ${EVENTS.join(', ')}`);
      if (typeof fn !== 'function') throw new TypeError('SupportBot.on: the listener must be a function');
      listeners.get(name).add(fn);
      if (name === 'ready' && ready) queueMicrotask(() => fn(ready));
      return () => listeners.get(name).delete(fn);
    },
    emit(name, detail) {
      if (name === 'ready') ready = detail;
      for (const fn of listeners.get(name)) {
        try {
          fn(detail);
        } catch (error) {
          console.error(`SupportBot: a "${name}" listener failed`, error);
        }
      }
      window.dispatchEvent(new CustomEvent(`supportbot:${name}`, { detail }));
    },
  };
}

/** The browser's IANA time zone ("Europe/Madrid"), or "" when it does not say. */
function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    return '';
  }
}

/** localStorage, or null where the browser blocks it. */
function localStorageOrNull() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function publicTurn(turn) {
  return { id: turn.id, role: turn.role, text: turn.text, citations: turn.citations || [], createdAt: turn.created_at };
}

/** Build the widget in `host` from a resolved config; returns the public API. */
export function mountWidget(host, config) {
  const locale = config.locale || navigator.language || 'en';
  const t = translator(pickLanguage(locale));
  const events = createEvents();
  const shadow = host.attachShadow({ mode: 'open' });
  adoptStyles(shadow);
  const root = document.createElement('div');
  root.className = `root position-${config.position}`;
  root.setAttribute('dir', textDirection(locale));
  root.setAttribute('lang', pickLanguage(locale));
  shadow.append(root);
  applyBrand(root, config.brandColor);

  const store = createStore(() => window.localStorage, { ttlMs: SESSION_TTL_MS });
  const api = createApi(config.url);
  let session = null;

  const view = createView(root, {
    t,
    translatorFor: (language) => translator(pickLanguage(language)),
    title: config.title,
    greeting: config.greeting,
    launcherText: config.launcherText,
    baseUrl: config.url,
    handlers: {
      send: (text) => {
        suggestions.seen(true);
        session.send(text);
      },
      toggle: () => (view.isOpen ? close() : open()),
      close: () => close(),
      human: () => session.requestPerson(),
      cancelPerson: () => session.cancelPerson(),
      email: (address) => session.requestPerson(address),
      rate: async (turnId, rating) => {
        if (await session.rate(turnId, rating)) view.setRating(turnId, rating);
      },
      rateChat: async (score) => {
        if (await session.rateChat(score)) view.csatDone(score);
      },
      newChat: () => {
        session.reset();
        view.input.focus();
      },
      endChat: () => session.end(),
    },
  });

  const nps = createNps({
    api,
    t,
    credentials: () => session.credentials,
    place: (node) => view.place(node),
    storage: localStorageOrNull(),
  });
  const suggestions = createSuggestions({
    api,
    t,
    page: window.location.href,
    locale: pickLanguage(locale),
    baseUrl: config.url,
    place: (node) => view.place(node),
    placeNudge: (node) => view.place(node, true),
    ask: (text) => session.send(text),
    openChat: () => open(),
    storage: localStorageOrNull(),
    active: () => document.activeElement,
  });

  const reasons = { message_too_long: 'tooLong', empty_message: 'empty' };
  session = createSession({
    api,
    store,
    baseUrl: config.url,
    customer: config.customer,
    signedIdentity: config.identity,
    page: window.location.href,
    pageTitle: document.title,
    locale,
    timeZone: browserTimeZone(),
    emit(type, payload) {
      switch (type) {
        case 'turn':
          view.addTurn(payload.turn);
          if (payload.fresh) events.emit('message', publicTurn(payload.turn));
          break;
        case 'pending':
          view.addPending(payload.clientId, payload.text);
          break;
        case 'sent':
          view.markSent(payload.clientId, payload.turn);
          events.emit('message', publicTurn(payload.turn));
          break;
        case 'retrying':
          view.markRetrying(payload.clientId);
          break;
        case 'failed':
          view.markFailed(payload.clientId, t(reasons[payload.error.code] || 'failed'));
          break;
        case 'draft':
          view.setDraft(payload);
          break;
        case 'typing':
          view.setTyping(payload);
          break;
        case 'notice':
          view.notice(payload.text ?? t(payload.key, payload.vars));
          break;
        case 'mode':
          view.setMode(payload);
          if (payload.mode === 'closed' && payload.started) nps.offer();
          break;
        case 'network':
          view.setBanner(!payload.ok);
          break;
        case 'handoff':
          events.emit('handoff', payload);
          break;
        case 'reset':
          view.reset();
          nps.reset();
          break;
        default:
          break;
      }
    },
  });
  view.setEmail(session.email);
  const notices = createAnnouncementBanner(document, view.announcements, {
    load: () => api.announcements(announcementsQuery(locale, window.location.href)),
    store,
    t,
    baseUrl: config.url,
  });
  notices.refresh();
  window.addEventListener('online', () => session.retryNow());

  function open() {
    if (view.isOpen) return;
    notices.refresh();
    suggestions.seen();
    view.open();
    events.emit('open', {});
  }

  function close() {
    if (!view.isOpen) return;
    view.close();
    events.emit('close', {});
  }

  session.restore().finally(() => {
    if (!session.conversationId) suggestions.load(); // only before the customer's first message
    events.emit('ready', { conversationId: session.conversationId });
  });

  return Object.freeze({
    open,
    close,
    /** Who the customer is ({name, email, plan}); applies to the next conversation started. */
    identify(customer) {
      const clean = cleanCustomer(customer && typeof customer === 'object' ? customer : {});
      session.identify(clean);
      if (clean.email) view.setEmail(clean.email);
    },
    on: (name, fn) => events.on(name, fn),
  });
}
