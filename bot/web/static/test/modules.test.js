// Every staff module links: its imports name exports that exist. The entries (main.js) start
// their page when imported, so they are checked over HTTP instead (tests/api/test_staff_pages.py).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';

import { install } from './fake-dom.js';
import './server-paths.js';

globalThis.sessionStorage = { getItem: () => null, setItem() {}, removeItem() {} };
install();

for (const page of ['shared', 'agent', 'editor', 'admin']) {
  const folder = new URL(`../${page}/`, import.meta.url);
  const names = readdirSync(folder).filter((name) => name.endsWith('.js') && name !== 'main.js');
  test(`${page}: ${names.length} modules link`, async () => {
    assert.ok(names.length > 0);
    for (const name of names) await import(new URL(name, folder).href);
  });
}
