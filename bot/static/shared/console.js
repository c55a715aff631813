/**
 * supportbot staff pages (agent console, help-center editor): the parts they share.
 * Plain script, no build step, loaded before the page's own module so that both carry a
 * content fingerprint; it defines one global, `supportConsole`.
 *
 * Safety rule: text from the server goes into the page only with textContent or
 * createTextNode, through el(). Links are made only for http(s) URLs (safeUrl).
 */

(() => {
  const $ = (id) => document.getElementById(id);

  /**
   * Create an element. `props` may hold className, text, attrs (plain attributes), dataset,
   * on (event listeners); children are nodes or strings (strings become text nodes).
   */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    if (props.className) node.className = props.className;
    if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
    for (const [name, value] of Object.entries(props.attrs || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    }
    for (const [name, value] of Object.entries(props.dataset || {})) node.dataset[name] = String(value);
    for (const [name, handler] of Object.entries(props.on || {})) node.addEventListener(name, handler);
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  /**
   * The URL if it is http(s), else null (no javascript:, data:, relative tricks). Relative
   * URLs count only with a `base` to resolve them against.
   */
  function safeUrl(value, base = undefined) {
    if (typeof value !== 'string' || !value) return null;
    try {
      const url = new URL(value, base);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch {
      return null;
    }
  }

  /** A link (new tab) for http(s) URLs, plain text otherwise. */
  function link(url, label, base = undefined) {
    const href = safeUrl(url, base);
    const text = label || url || '';
    if (!href) return el('span', { text });
    return el('a', { text, attrs: { href, target: '_blank', rel: 'noopener noreferrer nofollow' } });
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function setMessage(node, text) {
    node.textContent = text || '';
    show(node, Boolean(text));
  }

  function percent(value) {
    return typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value * 100)}%` : '–';
  }

  class ApiError extends Error {
    constructor(status, code, detail) {
      super(detail || code || `HTTP ${status}`);
      this.status = status;
      this.code = code;
    }
  }

  /**
   * The signed-in agent of a page: `state.token` and `state.agent`, kept in sessionStorage
   * under `tokenKey` and `agentKey`, and the API calls made with that token. A 401 on any call
   * but the login calls `onExpired(message)`.
   */
  function session(state, { tokenKey, agentKey, onExpired }) {
    function load() {
      try {
        state.token = sessionStorage.getItem(tokenKey);
        state.agent = JSON.parse(sessionStorage.getItem(agentKey) || 'null');
      } catch {
        state.token = null;
        state.agent = null;
      }
      return Boolean(state.token && state.agent);
    }

    function save(token, agent) {
      state.token = token;
      state.agent = agent;
      sessionStorage.setItem(tokenKey, token);
      sessionStorage.setItem(agentKey, JSON.stringify(agent));
    }

    function forget() {
      state.token = null;
      state.agent = null;
      sessionStorage.removeItem(tokenKey);
      sessionStorage.removeItem(agentKey);
    }

    /** Send a request (JSON or form body); the response if it is ok, else an ApiError. */
    async function request(method, path, { json, form } = {}) {
      const headers = { Accept: 'application/json' };
      if (state.token) headers.Authorization = `Bearer ${state.token}`;
      let body;
      if (json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(json);
      } else if (form !== undefined) {
        body = form;
      }
      let response;
      try {
        response = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
      } catch {
        throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
      }
      if (!response.ok) {
        let data = null;
        try {
          data = await response.json();
        } catch {
          data = null;
        }
        const detail = data && typeof data.detail === 'string' ? data.detail : '';
        const error = new ApiError(response.status, data && data.error_code, detail);
        if (response.status === 401 && state.token && !path.endsWith('/login')) {
          onExpired('Your session has ended. Please sign in again.');
        }
        throw error;
      }
      return response;
    }

    /** A JSON call: the decoded body (null for 204 or no JSON). */
    async function api(method, path, json) {
      const response = await request(method, path, { json });
      if (response.status === 204) return null;
      try {
        return await response.json();
      } catch {
        return null;
      }
    }

    return { load, save, forget, request, api };
  }

  /** Show the login form instead of the page's `view` (an element id). */
  function showLogin(view, title, message) {
    show($(view), false);
    show($('session'), false);
    show($('login-view'), true);
    setMessage($('login-error'), message || '');
    $('login-password').value = '';
    document.title = title;
    $('login-name').focus();
  }

  /** Show the page's `view` (an element id) and who is signed in, instead of the login form. */
  function showSignedIn(view, agent) {
    show($('login-view'), false);
    show($(view), true);
    show($('session'), true);
    $('whoami').textContent = agent.display_name || agent.name;
  }

  /**
   * Handle the login form: log in, let `admit(data)` refuse the account (it returns false),
   * keep the session and `start()` the page; errors go under the form, worded by `explain`.
   */
  async function logIn(event, { api, save, explain, start, admit = async () => true }) {
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
  async function logOut(api, end) {
    try {
      await api('POST', '/api/agent/logout');
    } catch {
      /* the session may already be gone; log out locally anyway */
    }
    end('You are signed out.');
  }

  globalThis.supportConsole = Object.freeze({
    $, el, safeUrl, link, show, setMessage, percent, ApiError, session, showLogin, showSignedIn, logIn, logOut,
  });
})();
