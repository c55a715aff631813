/**
 * Calls to the staff API: errors as ApiError (status 0 when the server cannot be reached,
 * the message from the JSON body's `detail`), and the signed-in account of a page.
 */

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

/** Send a request (JSON or form body) with the bearer `token`; the response if it is ok, else an ApiError. */
export async function fetchApi(method, path, { token, json, form } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
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
    throw new ApiError(response.status, data && data.error_code, detail);
  }
  return response;
}

/** A response's JSON body (null for 204 or no JSON). */
export async function decode(response) {
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/**
 * The signed-in agent of a page: `state.token` and `state.agent`, kept in sessionStorage
 * under `tokenKey` and `agentKey`, and the API calls made with that token. A 401 on any call
 * but the login calls `onExpired(message)`.
 */
export function session(state, { tokenKey, agentKey, onExpired }) {
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

  /** fetchApi() with this session's token; a 401 ends the session (but for the login itself). */
  async function request(method, path, { json, form } = {}) {
    try {
      return await fetchApi(method, path, { token: state.token, json, form });
    } catch (error) {
      if (error.status === 401 && state.token && !path.endsWith('/login')) {
        onExpired('Your session has ended. Please sign in again.');
      }
      throw error;
    }
  }

  /** A JSON call: the decoded body (null for 204 or no JSON). */
  async function api(method, path, json) {
    return decode(await request(method, path, { json }));
  }

  return { load, save, forget, request, api };
}
