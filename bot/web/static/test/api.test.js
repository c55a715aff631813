import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { ApiError, decode, fetchApi, session } from '../shared/api.js';

/** A fetch that records its calls and answers with `reply(path, init)` (a Response or a throw). */
function fakeFetch(reply) {
  const calls = [];
  globalThis.fetch = async (path, init) => {
    calls.push({ path, init });
    return reply(path, init);
  };
  return calls;
}

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }

  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }

  setItem(key, value) {
    this.items.set(key, String(value));
  }

  removeItem(key) {
    this.items.delete(key);
  }
}

beforeEach(() => {
  globalThis.sessionStorage = new MemoryStorage();
});

test('fetchApi sends JSON with the bearer token and returns the response', async () => {
  const calls = fakeFetch(() => json(200, { ok: true }));
  const response = await fetchApi('POST', '/api/x', { token: 't0k', json: { a: 1 } });
  assert.deepEqual(await response.json(), { ok: true });
  const [{ path, init }] = calls;
  assert.equal(path, '/api/x');
  assert.equal(init.method, 'POST');
  assert.equal(init.body, '{"a":1}');
  assert.equal(init.headers.Authorization, 'Bearer t0k');
  assert.equal(init.headers['Content-Type'], 'application/json');
  assert.equal(init.cache, 'no-store');
});

test('fetchApi sends a form as it is and no token when there is none', async () => {
  const calls = fakeFetch(() => new Response(null, { status: 204 }));
  const form = new FormData();
  await fetchApi('POST', '/api/import', { form });
  assert.equal(calls[0].init.body, form);
  assert.equal(calls[0].init.headers.Authorization, undefined);
  assert.equal(calls[0].init.headers['Content-Type'], undefined);
});

test('an error response becomes an ApiError with the detail and error code', async () => {
  fakeFetch(() => json(409, { detail: 'Another agent took this chat.', error_code: 'already_claimed' }));
  const error = await fetchApi('POST', '/api/x').catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 409);
  assert.equal(error.code, 'already_claimed');
  assert.equal(error.message, 'Another agent took this chat.');
});

test('an error without a JSON detail reads as its code or its status', async () => {
  fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502 }));
  const error = await fetchApi('GET', '/api/x').catch((e) => e);
  assert.equal(error.message, 'HTTP 502');
  fakeFetch(() => json(429, { error_code: 'rate_limited', detail: { not: 'a string' } }));
  const limited = await fetchApi('GET', '/api/x').catch((e) => e);
  assert.equal(limited.message, 'rate_limited');
});

test('a network failure is an ApiError with status 0 and a readable message', async () => {
  fakeFetch(() => {
    throw new TypeError('Failed to fetch');
  });
  const error = await fetchApi('GET', '/api/x').catch((e) => e);
  assert.equal(error.status, 0);
  assert.equal(error.code, 'network');
  assert.match(error.message, /Cannot reach the server/);
});

test('decode gives null for 204 and for a body that is not JSON', async () => {
  assert.equal(await decode(new Response(null, { status: 204 })), null);
  assert.equal(await decode(new Response('plain', { status: 200 })), null);
  assert.deepEqual(await decode(json(200, [1])), [1]);
});

test('a session keeps its token and agent in sessionStorage', () => {
  const state = {};
  const s = session(state, { tokenKey: 'tk', agentKey: 'ak', onExpired: () => {} });
  assert.equal(s.load(), false);
  s.save('abc', { id: 'a1', name: 'sam' });
  assert.equal(sessionStorage.getItem('tk'), 'abc');
  const again = {};
  assert.equal(session(again, { tokenKey: 'tk', agentKey: 'ak' }).load(), true);
  assert.deepEqual(again, { token: 'abc', agent: { id: 'a1', name: 'sam' } });
  s.forget();
  assert.equal(state.token, null);
  assert.equal(sessionStorage.getItem('ak'), null);
});

test('a session that cannot read storage is signed out', () => {
  globalThis.sessionStorage = {
    getItem() {
      throw new Error('SecurityError');
    },
  };
  const state = {};
  assert.equal(session(state, { tokenKey: 'tk', agentKey: 'ak' }).load(), false);
  assert.deepEqual(state, { token: null, agent: null });
});

test('a 401 ends the session, but not on the login call or when signed out', async () => {
  const expired = [];
  const state = { token: 'old' };
  const s = session(state, { tokenKey: 'tk', agentKey: 'ak', onExpired: (m) => expired.push(m) });
  fakeFetch(() => json(401, { detail: 'Not signed in' }));
  await assert.rejects(s.api('GET', '/api/agent/tickets'), { status: 401 });
  assert.deepEqual(expired, ['Your session has ended. Please sign in again.']);
  await assert.rejects(s.api('POST', '/api/agent/login', { name: 'x' }), { status: 401 });
  state.token = null;
  await assert.rejects(s.api('GET', '/api/agent/tickets'), { status: 401 });
  assert.equal(expired.length, 1);
});

test('api decodes JSON and gives null for no content', async () => {
  const s = session({ token: 't' }, { tokenKey: 'tk', agentKey: 'ak', onExpired: () => {} });
  fakeFetch((path) => (path === '/empty' ? new Response(null, { status: 204 }) : json(200, { id: 1 })));
  assert.deepEqual(await s.api('GET', '/x'), { id: 1 });
  assert.equal(await s.api('POST', '/empty'), null);
});
