import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createStore } from '../store.js';

function memoryStorage() {
  const items = new Map();
  return {
    items,
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

function clock(start = 1_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

test('values persist in storage until they expire', () => {
  const storage = memoryStorage();
  const time = clock();
  const store = createStore(() => storage, { ttlMs: 100, now: time.now });
  assert.equal(store.persistent, true);
  store.set('session', { id: 'c1', token: 't' });
  assert.deepEqual(JSON.parse(storage.items.get('supportbot:session')), { value: { id: 'c1', token: 't' }, expires: 1_100 });
  time.t = 1_099;
  assert.deepEqual(store.get('session'), { id: 'c1', token: 't' });
  time.t = 1_100;
  assert.equal(store.get('session'), null);
  assert.equal(storage.items.has('supportbot:session'), false, 'expired entries are removed');
});

test('a later page sees what an earlier one saved; saving again restarts the clock', () => {
  const storage = memoryStorage();
  const time = clock();
  createStore(() => storage, { ttlMs: 100, now: time.now }).set('k', 1);
  time.t = 1_090;
  const later = createStore(() => storage, { ttlMs: 100, now: time.now });
  assert.equal(later.get('k'), 1);
  later.set('k', 2);
  time.t = 1_150;
  assert.equal(later.get('k'), 2);
});

test('falls back to memory when opening storage throws (sandboxed iframe, private mode)', () => {
  const time = clock();
  const store = createStore(
    () => {
      throw new DOMException('denied', 'SecurityError');
    },
    { ttlMs: 100, now: time.now },
  );
  assert.equal(store.persistent, false);
  store.set('k', 'v');
  assert.equal(store.get('k'), 'v');
  time.t = 2_000;
  assert.equal(store.get('k'), null, 'the expiry applies in memory too');
});

test('falls back to memory when writes fail (quota) or storage blocks every call', () => {
  const storage = memoryStorage();
  const store = createStore(() => storage, { ttlMs: 100, now: clock().now });
  storage.setItem = () => {
    throw new DOMException('full', 'QuotaExceededError');
  };
  store.set('k', 'v');
  assert.equal(store.get('k'), 'v');
  store.remove('k');
  assert.equal(store.get('k'), null);

  const blocked = { getItem: () => {
    throw new Error('blocked');
  }, setItem: () => {
    throw new Error('blocked');
  }, removeItem: () => {} };
  const fallback = createStore(() => blocked, { ttlMs: 100, now: clock().now });
  assert.equal(fallback.persistent, false);
  fallback.set('k', 1);
  assert.equal(fallback.get('k'), 1);
});

test('corrupt or foreign entries read as missing', () => {
  const storage = memoryStorage();
  const store = createStore(() => storage, { ttlMs: 100, now: clock().now });
  storage.setItem('supportbot:a', '{not json');
  storage.setItem('supportbot:b', JSON.stringify({ value: 1 }));
  assert.equal(store.get('a'), null);
  assert.equal(store.get('b'), null);
  assert.equal(store.get('missing'), null);
});
