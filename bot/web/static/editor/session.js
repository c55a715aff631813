/** The editor's session: editor and admin accounts only; sign in and out, start the page. */

import { $, setMessage, show } from '../shared/dom.js';
import { session } from '../shared/api.js';
import * as login from '../shared/login.js';
import { confirmDiscard } from './form.js';
import { explain, refusal } from './labels.js';
import { loadArticles } from './list.js';
import { state } from './state.js';

const TOKEN_KEY = 'supportbot.editor.token';
const AGENT_KEY = 'supportbot.editor.profile';
export const EDITOR_ROLES = new Set(['editor', 'admin']);

export const { request, api, load: loadSession, save: saveSession, forget } = session(state, {
  tokenKey: TOKEN_KEY,
  agentKey: AGENT_KEY,
  onExpired: endSession,
});

export function endSession(message) {
  forget();
  state.current = null;
  state.indexWatch += 1;
  $('article-list').replaceChildren();
  show($('article-form'), false);
  show($('edit-placeholder'), true);
  showLogin(message);
}

export function showLogin(message) {
  login.showLogin('editor-view', 'Help center editor', message);
}

/** Let editors and admins in; log anyone else out again and say why. */
async function admit(data) {
  if (EDITOR_ROLES.has(data.agent.role)) return true;
  state.token = data.token;
  await api('POST', '/api/agent/logout').catch(() => null);
  state.token = null;
  setMessage($('login-error'), refusal(data.agent));
  $('login-password').value = '';
  $('login-name').focus();
  return false;
}

export function onLogin(event) {
  return login.logIn(event, { api, save: saveSession, explain, start: startEditor, admit });
}

export async function onLogout() {
  if (!confirmDiscard()) return;
  await login.logOut(api, endSession);
}

export async function startEditor() {
  login.showSignedIn('editor-view', state.agent);
  document.title = 'Help center editor';
  await loadArticles();
  $('filter-q').focus();
}
