/** Replies and notes: a reply is resent with the same client_id until the server has it. */

import { $, setMessage } from '../shared/dom.js';
import { explain } from './labels.js';
import { api } from './session.js';
import { state } from './state.js';
import { renderActions } from './ticket.js';
import { addTurn, renderNote, scrollTranscript } from './transcript.js';

const REPLY_RETRIES_MS = [1000, 3000]; // resends of a reply that got no answer (same client_id)

/** A random UUID v4 (crypto.randomUUID needs a secure context; getRandomValues does not). */
function newClientId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The reply's client_id: the same while the same text to the same chat is resent, so the
 * server stores it once however often it is sent (a reply can be stored although its answer
 * was lost). */
export function replyClientId(ticketId, text) {
  const pending = state.pendingReply;
  if (pending && pending.ticketId === ticketId && pending.text === text) return pending.clientId;
  state.pendingReply = { ticketId, text, clientId: newClientId() };
  return state.pendingReply.clientId;
}

/**
 * Send a reply; resent (same client_id) after a network error or a server error, after each
 * of `retries` (ms) in turn.
 */
export async function sendReply(ticketId, text, retries = REPLY_RETRIES_MS) {
  const body = { text, client_id: replyClientId(ticketId, text) };
  const path = `/api/agent/tickets/${encodeURIComponent(ticketId)}/messages`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const turn = await api('POST', path, body);
      state.pendingReply = null;
      return turn;
    } catch (error) {
      const transient = error.status === 0 || error.status >= 500;
      if (!transient || attempt >= retries.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, retries[attempt]));
    }
  }
}

export async function onReply(event) {
  event.preventDefault();
  const box = $('reply-text');
  const text = box.value.trim();
  const ticket = state.detail && state.detail.ticket;
  if (!text || !ticket || state.busy) return;
  state.busy = true;
  renderActions();
  setMessage($('ticket-error'), '');
  try {
    const turn = await sendReply(ticket.id, text);
    box.value = '';
    addTurn(turn);
    scrollTranscript(true);
  } catch (error) {
    setMessage($('ticket-error'), `Not sent: ${explain(error)}`);
  } finally {
    state.busy = false;
    renderActions();
    box.focus();
  }
}

export async function onNote(event) {
  event.preventDefault();
  const box = $('note-text');
  const text = box.value.trim();
  const ticket = state.detail && state.detail.ticket;
  if (!text || !ticket || state.busy) return;
  state.busy = true;
  renderActions();
  try {
    const note = await api('POST', `/api/agent/tickets/${encodeURIComponent(ticket.id)}/notes`, { text });
    box.value = '';
    state.detail.notes.push(note);
    $('note-list').replaceChildren(...state.detail.notes.map(renderNote));
  } catch (error) {
    setMessage($('ticket-error'), `Note not saved: ${explain(error)}`);
  } finally {
    state.busy = false;
    renderActions();
    box.focus();
  }
}
