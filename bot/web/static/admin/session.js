/** The dashboard's session: admin accounts only; the token is kept in sessionStorage. */

import { fetchApi } from '../shared/api.js';
import { $, setMessage, show } from '../shared/dom.js';

const TOKEN_KEY = 'supportbot.admin.token';
const NAME_KEY = 'supportbot.admin.name';

const state = { token: sessionStorage.getItem(TOKEN_KEY) };

/** Whether a session was kept from an earlier visit. */
export const signedIn = () => Boolean(state.token);

/** A call with this session's token: the response if it is ok, else an ApiError. */
export function api(method, path, json) {
  return fetchApi(method, path, { token: state.token, json });
}

/** Forget the session and show the login form (with `message` under it). */
export function showLogin(message = '') {
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  show($('dashboard-view'), false);
  show($('session'), false);
  show($('login-view'), true);
  setMessage($('login-error'), message);
}

/** Show the dashboard and who is signed in; `load()` its data. */
export function showDashboard(load) {
  show($('login-view'), false);
  show($('dashboard-view'), true);
  show($('session'), true);
  $('whoami').textContent = sessionStorage.getItem(NAME_KEY) || '';
  return load();
}

/** Handle the login form: admins get the dashboard (loaded by `load`), others are logged out again. */
export async function login(event, load) {
  event.preventDefault();
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  if (!name || !password) return showLogin('Enter your name and password.');
  $('login-submit').disabled = true;
  try {
    state.token = null;
    const response = await api('POST', '/api/agent/login', { name, password });
    const body = await response.json();
    if (body.agent.role !== 'admin') {
      await fetchApi('POST', '/api/agent/logout', { token: body.token }).catch(() => null);
      return showLogin('This account is not an admin.');
    }
    state.token = body.token;
    sessionStorage.setItem(TOKEN_KEY, body.token);
    sessionStorage.setItem(NAME_KEY, body.agent.display_name || body.agent.name);
    $('login-password').value = '';
    return showDashboard(load);
  } catch (error) {
    return showLogin(error.status === 401 ? 'Wrong name or password.' : error.message);
  } finally {
    $('login-submit').disabled = false;
  }
}

/** Log out on the server (the session may be gone already) and here. */
export async function logout() {
  try {
    await api('POST', '/api/agent/logout');
  } catch { /* the session may be gone already */ }
  showLogin();
}
