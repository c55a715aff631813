/** The agent console's session: sign in and out, start the console, end it on expiry. */

import { $, show } from '../shared/dom.js';
import { session } from '../shared/api.js';
import * as login from '../shared/login.js';
import { loadAnnouncements } from './announcements.js';
import { explain } from './labels.js';
import { closeSocket, connect } from './live.js';
import { loadAgents, loadQueue, tickClock } from './queue.js';
import { state } from './state.js';
import { openTicket } from './ticket.js';

const TOKEN_KEY = 'supportbot.agent.token';
const AGENT_KEY = 'supportbot.agent.profile';
const CLOCK_MS = 15000;

export const { api, request, load: loadSession, save: saveSession, forget } = session(state, {
  tokenKey: TOKEN_KEY,
  agentKey: AGENT_KEY,
  onExpired: endSession,
});

export function endSession(message) {
  forget();
  closeSocket();
  clearInterval(state.clockTimer);
  state.tickets = [];
  state.detail = null;
  state.selectedId = null;
  state.unread.clear();
  $('ticket-list').replaceChildren();
  $('transcript').replaceChildren();
  $('note-list').replaceChildren();
  show($('ticket-body'), false);
  show($('ticket-placeholder'), true);
  showLogin(message);
}

export function showLogin(message) {
  login.showLogin('console-view', 'Agent console', message);
}

export function onLogin(event) {
  return login.logIn(event, { api, save: saveSession, explain, start: startConsole });
}

export function onLogout() {
  return login.logOut(api, endSession);
}

export async function startConsole() {
  login.showSignedIn('console-view', state.agent);
  connect();
  clearInterval(state.clockTimer);
  state.clockTimer = setInterval(tickClock, CLOCK_MS);
  await Promise.all([loadAgents(), loadQueue(), loadAnnouncements()]);
  if (state.selectedId) await openTicket(state.selectedId, { focus: false });
  const first = document.querySelector('.ticket-item');
  (first || $('main')).focus();
}
