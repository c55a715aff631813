/** The login form and the signed-in bar that the staff pages share (staff.html). */

import { $, setMessage, show } from './dom.js';

/** Show the login form instead of the page's `view` (an element id). */
export function showLogin(view, title, message) {
  show($(view), false);
  show($('session'), false);
  show($('login-view'), true);
  setMessage($('login-error'), message || '');
  $('login-password').value = '';
  document.title = title;
  $('login-name').focus();
}

/** Show the page's `view` (an element id) and who is signed in, instead of the login form. */
export function showSignedIn(view, agent) {
  show($('login-view'), false);
  show($(view), true);
  show($('session'), true);
  $('whoami').textContent = agent.display_name || agent.name;
}

/**
 * Handle the login form: log in, let `admit(data)` refuse the account (it returns false),
 * keep the session and `start()` the page; errors go under the form, worded by `explain`.
 */
export async function logIn(event, { api, save, explain, start, admit = async () => true }) {
  event.preventDefault();
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  if (!name || !password) {
    setMessage($('login-error'), 'Enter your name and password.');
    (name ? $('login-password') : $('login-name')).focus();
    return;
  }
  const button = $('login-submit');
  button.disabled = true;
  setMessage($('login-error'), '');
  try {
    const data = await api('POST', '/api/agent/login', { name, password });
    if (!(await admit(data))) return;
    save(data.token, data.agent);
    await start();
  } catch (error) {
    const text = error.status === 401 ? 'Wrong name or password.' : explain(error);
    setMessage($('login-error'), text);
    $('login-password').select();
    $('login-password').focus();
  } finally {
    button.disabled = false;
  }
}

/** Log out on the server (if the session is still there) and `end` it here. */
export async function logOut(api, end) {
  try {
    await api('POST', '/api/agent/logout');
  } catch {
    /* the session may already be gone; log out locally anyway */
  }
  end('You are signed out.');
}
