/**
 * One customer's chat with the server, without any DOM: the conversation (created on first use,
 * restored from storage, forgotten when it expires), the outbox (messages sent in order; one
 * that was not acknowledged is resent with the same client_id, which the server dedupes), live
 * events (the SSE reply stream, and the WebSocket for everything else) and the mode. A message
 * whose reply stream ended without its answer (the connection broke, the server stopped) is resent
 * too, a few times with backoff: the server answers it then, or replays the answer it stored.
 *
 * It reports through emit(type, payload):
 *   turn {turn, fresh}       a stored turn to show (fresh: arrived live, not from history)
 *   pending {clientId, text} / sent {clientId, turn} / retrying {clientId} / failed {clientId, error}
 *   draft text|null          the answer streaming in; typing true|false
 *   notice {key, vars}|{text}
 *   mode {mode, agent, offline, emailGiven, started, csat, language}
 *                            language: the conversation's, which the server words notices in
 *   network {ok}             false while the server is unreachable
 *   handoff {mode, waitMessage}
 *   reset                    the conversation was forgotten; show a fresh chat
 */

import { ApiError, newClientId } from './api.js';
import { cleanLocale } from './config.js';
import { backoffDelay, createLiveSocket } from './socket.js';

const SESSION_KEY = 'session';
const LIVE_MODES = new Set(['waiting', 'agent']);
const ANSWER_RETRIES = 5; // resends of a delivered message whose answer did not arrive

/** The reply stream of a delivered message ended without the answer. */
class NoAnswer extends ApiError {
  constructor() {
    super(0, 'no_answer', 'the answer did not arrive');
  }
}

/**
 * A session; `customer` is {name?, email?, plan?}, `page` the host page URL (`pageTitle` its
 * title), `timeZone` the browser's IANA zone (the server shows opening hours in it too).
 */
export function createSession({
  api,
  store,
  baseUrl,
  customer,
  signedIdentity = null,
  page,
  pageTitle = '',
  locale,
  timeZone = '',
  emit,
  openSocket = createLiveSocket,
  timers = globalThis,
}) {
  let identity = { ...customer };
  let conversation = null; // {id, token, agent, offline, emailGiven, ended}, persisted
  let mode = 'bot';
  let csat = null;
  let language = ''; // the conversation's language, once the server has told it
  let socket = null;
  let pumping = false;
  let attempt = 0;
  let retryTimer = null;
  let syncTimer = null;
  let streaming = null; // AbortController of the reply stream in flight
  let draft = null;
  const outbox = []; // {clientId, text, turn?, renewed?, answerRetries?}
  const seen = new Set();
  const down = { send: false, live: false, sync: false };

  function save() {
    if (conversation) store.set(SESSION_KEY, conversation);
  }

  function setDown(kind, value) {
    const before = Object.values(down).some(Boolean);
    down[kind] = value;
    const after = Object.values(down).some(Boolean);
    if (before !== after) emit('network', { ok: !after });
  }

  function announceMode() {
    emit('mode', {
      mode,
      agent: conversation?.agent || '',
      offline: Boolean(conversation?.offline),
      emailGiven: Boolean(conversation?.emailGiven),
      started: conversation !== null,
      csat,
      language,
    });
  }

  function update(changes) {
    if (!conversation) return;
    Object.assign(conversation, changes);
    save();
  }

  function ack(item, turn) {
    item.turn = turn;
    seen.add(turn.id);
    emit('sent', { clientId: item.clientId, turn });
  }

  function showTurn(turn, fresh = true) {
    if (!turn || seen.has(turn.id)) return;
    const mine = turn.role === 'customer' && outbox.find((m) => !m.turn && m.text === turn.text);
    if (mine) {
      ack(mine, turn);
      return;
    }
    seen.add(turn.id);
    emit('turn', { turn, fresh });
  }

  function setDraft(text) {
    if (text === null && draft === null) return;
    draft = text;
    emit('draft', draft);
  }

  function enterHandoff(handoffMode, waitMessage) {
    const offline = handoffMode === 'offline';
    const changed = mode !== 'waiting' || Boolean(conversation?.offline) !== offline;
    mode = 'waiting';
    update({ offline });
    announceMode();
    if (changed) emit('handoff', { mode: handoffMode, waitMessage });
  }

  /** Apply one live event, from the reply stream (`item` set) or the WebSocket. */
  function handle(event, item) {
    switch (event.type) {
      case 'message':
        if (item && !item.turn && !seen.has(event.turn.id)) ack(item, event.turn);
        else showTurn(event.turn);
        break;
      case 'token':
        // While our own stream runs, the socket repeats its tokens: take them from one place.
        if (item || !streaming) setDraft((draft ?? '') + event.text);
        break;
      case 'reply':
      case 'notice':
        setDraft(null);
        showTurn(event.turn);
        break;
      case 'handoff':
        setDraft(null);
        if (event.turn) showTurn(event.turn);
        else if (event.wait_message) emit('notice', { text: event.wait_message });
        if (event.locale) language = event.locale; // the waiting actions speak the chat's language
        enterHandoff(event.mode, event.wait_message || '');
        break;
      case 'agent_joined':
        mode = 'agent';
        update({ agent: event.agent?.name || '', offline: false });
        announceMode();
        // The server words notices in the customer's language (issue 17); the page's otherwise.
        emit('notice', event.text ? { text: event.text }
          : { key: 'agentJoined', vars: { name: event.agent?.name || '' } });
        break;
      case 'agent_message':
        if (event.agent?.name) update({ agent: event.agent.name });
        if (mode !== 'agent') {
          mode = 'agent';
          announceMode();
        }
        showTurn(event.turn);
        break;
      case 'transferred':
        update({ agent: '' });
        scheduleSync(0);
        break;
      case 'returned_to_bot':
      case 'handoff_cancelled':
        mode = 'bot';
        update({ agent: '', offline: false });
        announceMode();
        emit('notice', event.text ? { text: event.text } : { key: 'returnedToBot' });
        break;
      case 'closed':
        mode = 'closed';
        if (event.locale) language = event.locale; // the survey asks in the chat's language
        announceMode();
        break;
      case 'error':
        break; // a reply stream's error: its message is resent (see pump); a socket's: nothing to do
      default:
        break; // pong, and event types newer than this widget
    }
  }

  function connectLive() {
    const { id, token } = conversation;
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws/conversations/${encodeURIComponent(id)}`;
    socket = openSocket(url, {
      token,
      onEvent: (event) => handle(event),
      onOpen: (reconnected) => {
        setDown('live', false);
        if (reconnected) sync(true); // events may have been missed while disconnected
      },
      onDown: () => setDown('live', true),
      onRejected: () => sync(true),
    });
  }

  async function ensureConversation() {
    if (conversation) return conversation;
    const { name, email, plan } = identity;
    const created = await api.createConversation({
      channel: 'widget',
      name: name || '',
      email: email || '',
      page_url: page.slice(0, 2000),
      page_title: pageTitle.slice(0, 300),
      locale: cleanLocale(locale),
      metadata: { ...(plan ? { plan } : {}), ...(timeZone ? { time_zone: timeZone } : {}) },
      ...(signedIdentity ? { identity: signedIdentity } : {}),
    });
    conversation = { id: created.id, token: created.token, agent: '', offline: false, emailGiven: false };
    mode = created.mode;
    csat = null;
    save();
    announceMode();
    connectLive();
    return conversation;
  }

  function forget() {
    socket?.close();
    socket = null;
    conversation = null;
    mode = 'bot';
    csat = null;
    language = '';
    store.remove(SESSION_KEY);
  }

  async function sync(fresh) {
    if (!conversation) return;
    const { id, token } = conversation;
    try {
      const data = await api.getConversation(id, token);
      if (conversation?.id !== id) return;
      for (const turn of data.turns) showTurn(turn, fresh);
      if (!streaming) setDraft(null);
      mode = conversation.ended ? 'closed' : data.mode;
      csat = data.csat;
      language = data.notice_locale || language;
      if (mode === 'bot' || mode === 'closed') update({ agent: '', offline: false });
      announceMode();
      setDown('sync', false);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 403 || error.status === 404) {
        forget();
        seen.clear();
        emit('reset');
        announceMode();
      } else {
        setDown('sync', true);
      }
    }
  }

  function scheduleSync(delayMs = 1500) {
    timers.clearTimeout(syncTimer);
    syncTimer = timers.setTimeout(() => sync(true), delayMs);
  }

  async function deliver(item) {
    const { id, token } = await ensureConversation();
    save(); // each message restarts the storage expiry
    const message = { text: item.text, client_id: item.clientId };
    if (LIVE_MODES.has(mode)) {
      const result = await api.postMessage(id, token, message);
      if (!item.turn) ack(item, result.message);
      if (result.reply) showTurn(result.reply);
      if (result.mode !== mode) {
        mode = result.mode;
        if (mode === 'bot') update({ offline: false }); // the request was taken back
        announceMode();
      }
      return;
    }
    const controller = new AbortController();
    streaming = controller;
    emit('typing', true);
    let replied = false;
    try {
      await api.streamMessage(
        id,
        token,
        message,
        (event) => {
          if (event.type === 'reply') replied = true;
          handle(event, item);
        },
        controller.signal,
      );
    } finally {
      streaming = null;
      emit('typing', false);
      if (!replied) setDraft(null);
    }
    if (replied) return;
    if (mode === 'bot') throw new NoAnswer();
    scheduleSync(); // handed to a person: the history says what happened
  }

  function retryLater(item, error) {
    const delay =
      error.status === 429 && error.retryAfterS ? error.retryAfterS * 1000 : backoffDelay(attempt++);
    if (error.status === 429) emit('notice', { key: 'tooFast', vars: { s: Math.ceil(delay / 1000) } });
    else if (!(error instanceof NoAnswer)) setDown('send', true);
    if (!item.turn) emit('retrying', { clientId: item.clientId });
    retryTimer = timers.setTimeout(() => {
      retryTimer = null;
      pump();
    }, delay);
  }

  async function pump() {
    if (pumping) return;
    pumping = true;
    timers.clearTimeout(retryTimer);
    retryTimer = null;
    try {
      while (outbox.length) {
        const item = outbox[0];
        try {
          await deliver(item);
          outbox.shift();
          attempt = 0;
          setDown('send', false);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          if (outbox[0] !== item) return; // reset() dropped it meanwhile
          if (item.turn) {
            // Delivered, but its answer did not arrive: resend it (same client_id), a few times.
            item.answerRetries = (item.answerRetries ?? 0) + 1;
            if (error.transient && mode === 'bot' && item.answerRetries <= ANSWER_RETRIES) {
              retryLater(item, error);
              return;
            }
            outbox.shift();
            setDown('send', false);
            if (mode === 'bot') emit('notice', { key: 'replyFailed' });
            scheduleSync();
          } else if ((error.status === 403 || error.status === 404) && !item.renewed) {
            item.renewed = true; // the conversation expired on the server: start a new one
            forget();
            emit('notice', { key: 'expired' });
          } else if (error.transient) {
            retryLater(item, error);
            return;
          } else {
            outbox.shift();
            emit('failed', { clientId: item.clientId, error });
          }
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    /** Load a saved conversation (history, mode) and listen for its live events. */
    async restore() {
      const saved = store.get(SESSION_KEY);
      if (saved && typeof saved.id === 'string' && typeof saved.token === 'string') {
        conversation = saved;
        connectLive();
        await sync(false);
      }
      announceMode();
    },

    /** Queue a message for sending; returns its client id. */
    send(text) {
      const item = { clientId: newClientId(), text: text.trim() };
      outbox.push(item);
      emit('pending', { clientId: item.clientId, text: item.text });
      pump();
      return item.clientId;
    },

    /** Ask for a person, or (when offline) leave an email; false when that failed. */
    async requestPerson(email = '') {
      try {
        const { id, token } = await ensureConversation();
        const result = await api.handoff(id, token, email);
        if (email) update({ emailGiven: true });
        if (result.wait_message) emit('notice', { text: result.wait_message });
        enterHandoff(result.mode, result.wait_message);
        return true;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        emit('notice', { key: 'handoffFailed' });
        return false;
      }
    },

    /** The customer no longer needs a person: cancel the waiting request; false on failure. */
    async cancelPerson() {
      if (!conversation) return false;
      try {
        const result = await api.cancelHandoff(conversation.id, conversation.token);
        if (result.notice) emit('notice', { text: result.notice });
        if (result.mode !== mode) {
          mode = result.mode;
          if (mode === 'bot') update({ offline: false });
          announceMode();
        }
        return true;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return false;
      }
    },

    /** Thumbs up/down on a bot turn; false when it could not be saved. */
    async rate(turnId, rating) {
      if (!conversation) return false;
      try {
        await api.feedback(conversation.id, conversation.token, { turn_id: turnId, rating });
        return true;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return false;
      }
    },

    /** Customer satisfaction 1-5 for the chat; false when it could not be saved. */
    async rateChat(score) {
      if (!conversation) return false;
      try {
        await api.feedback(conversation.id, conversation.token, { csat: score });
        csat = score;
        return true;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return false;
      }
    },

    /** The customer ends the chat: show the satisfaction survey. */
    end() {
      mode = 'closed';
      update({ ended: true });
      announceMode();
      sync(false); // learn the chat's language, for the survey
    },

    /** Forget the conversation and start over. */
    reset() {
      streaming?.abort();
      timers.clearTimeout(retryTimer);
      timers.clearTimeout(syncTimer);
      outbox.length = 0;
      seen.clear();
      forget();
      setDraft(null);
      emit('reset');
      announceMode();
    },

    /** Set who the customer is ({name, email, plan}); used when the next conversation starts. */
    identify(customerUpdate) {
      identity = { ...identity, ...customerUpdate };
    },

    /** The customer's email, if known (to prefill the offline form). */
    get email() {
      return identity.email || '';
    },

    /** The conversation id, or null before the first message. */
    get conversationId() {
      return conversation?.id ?? null;
    },

    /** {id, token} of the conversation (for its surveys), or null before the first message. */
    get credentials() {
      return conversation ? { id: conversation.id, token: conversation.token } : null;
    },

    /** Retry now (the browser is back online). */
    retryNow() {
      socket?.retryNow();
      if (retryTimer !== null) pump();
    },
  };
}
