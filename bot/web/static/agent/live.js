/**
 * Live events over the agent WebSocket (/ws/agent): connect with backoff, follow the open
 * chat and the chats I hold, and turn each event into a refresh, a new turn or a badge.
 */

import { $ } from '../shared/dom.js';
import { loadAgents, loadQueue, renderQueue } from './queue.js';
import { FIRST_DELAY_MS, endsSession, nextDelay, parseEvent, reaction } from './events.js';
import { endSession } from './session.js';
import { state } from './state.js';
import { openTicket } from './ticket.js';
import { addTurn, showTyping } from './transcript.js';

const PING_MS = 25000;

function setConnection(stateName, label) {
  const node = $('connection');
  node.dataset.state = stateName;
  node.textContent = label;
}

export function connect() {
  closeSocket();
  if (!state.token) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  setConnection('connecting', 'Connecting…');
  const ws = new WebSocket(`${scheme}//${location.host}/ws/agent`);
  state.ws = ws;
  state.watched = new Set();
  ws.addEventListener('open', () => {
    if (state.ws !== ws) return;
    // The session token goes in the first message, never in the URL (URLs reach access logs).
    ws.send(JSON.stringify({ type: 'auth', token: state.token }));
    watchRelevant();
    state.pingTimer = setInterval(() => send({ type: 'ping' }), PING_MS);
  });
  ws.addEventListener('message', (event) => {
    if (state.ws !== ws) return;
    const data = parseEvent(event.data);
    if (data && data.type === 'ready') onReady();
    else if (data) onEvent(data);
  });
  ws.addEventListener('close', (event) => {
    if (state.ws !== ws) return;
    clearInterval(state.pingTimer);
    state.ws = null;
    if (!state.token) return;
    if (endsSession(event.code)) {
      endSession('Your session has ended. Please sign in again.');
      return;
    }
    const delay = state.reconnectDelay;
    state.reconnectDelay = nextDelay(delay);
    setConnection('offline', `Reconnecting in ${Math.round(delay / 1000)} s…`);
    state.reconnectTimer = setTimeout(connect, delay);
  });
}

/** The server follows the queue for us now: live from here, after catching up on whatever
 * happened before (a ticket created while the socket was opening is in this load). */
function onReady() {
  state.reconnectDelay = FIRST_DELAY_MS;
  setConnection('online', 'Live');
  scheduleQueueRefresh(0);
  if (state.selectedId) scheduleDetailRefresh(0);
}

export function closeSocket() {
  clearTimeout(state.reconnectTimer);
  clearInterval(state.pingTimer);
  const ws = state.ws;
  state.ws = null;
  if (ws) ws.close(1000, 'bye');
  setConnection('offline', 'Offline');
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

/** Follow the open ticket's conversation and the chats I hold (for new-message badges). */
export function watchRelevant() {
  const ids = new Set();
  if (state.detail) ids.add(state.detail.ticket.conversation_id);
  for (const ticket of state.tickets) {
    if (ticket.status === 'claimed' && state.agent && ticket.agent_id === state.agent.id) {
      ids.add(ticket.conversation_id);
    }
  }
  for (const id of ids) watch(id);
}

export function watch(conversationId) {
  if (!conversationId || state.watched.has(conversationId)) return;
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return;
  state.watched.add(conversationId);
  send({ type: 'watch', conversation_id: conversationId });
}

function onEvent(event) {
  const openConversationId = state.detail ? state.detail.ticket.conversation_id : null;
  const action = reaction(event, { selectedId: state.selectedId, openConversationId });
  if (!action) return;
  switch (action.do) {
    case 'agents':
      loadAgents();
      break;
    case 'queue':
      scheduleQueueRefresh(150);
      if (action.detail) scheduleDetailRefresh(150);
      break;
    case 'unread':
      markUnread(action.conversationId);
      break;
    case 'turn':
      addTurn(action.turn);
      break;
    case 'typing':
      showTyping(true);
      break;
    case 'detail':
      scheduleDetailRefresh(100);
      break;
    default:
      break;
  }
}

function markUnread(conversationId) {
  const ticket = state.tickets.find((t) => t.conversation_id === conversationId);
  if (!ticket) return;
  state.unread.add(ticket.id);
  renderQueue();
}

export function scheduleQueueRefresh(delay) {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => loadQueue().catch(() => {}), delay);
}

function scheduleDetailRefresh(delay) {
  clearTimeout(state.detailTimer);
  state.detailTimer = setTimeout(() => {
    if (state.selectedId) openTicket(state.selectedId, { focus: false, quiet: true }).catch(() => {});
  }, delay);
}
