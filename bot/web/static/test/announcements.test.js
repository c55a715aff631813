// Announcements on the staff pages (issue 21): the admin form's request, the console's list.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { html, install } from './fake-dom.js';
import './server-paths.js';

globalThis.sessionStorage = { getItem: () => null, setItem() {}, removeItem() {} };
const { announcementBody } = await import('../admin/announcements.js');
const { announcementItem } = await import('../agent/announcements.js');

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

beforeEach(() => install());

test('the admin form sends what was filled in, the end time in UTC', () => {
  assert.deepEqual(announcementBody({ text: ' Down ', title: '', kind: 'incident', locale: '', page: '/checkout*', plan: ' ', until: '' }), {
    text: 'Down',
    kind: 'incident',
    page: '/checkout*',
  });
  const until = announcementBody({ text: 'x', until: '2099-05-03T14:00' }).until;
  assert.equal(until, new Date('2099-05-03T14:00').toISOString());
});

test('the console lists an announcement as text', () => {
  const item = announcementItem({
    id: 'a1', kind: 'incident', state: 'active', status: 'identified', title: HOSTILE, text: HOSTILE,
    locale: 'en', page: '/checkout*', plan: '', until: null,
  });
  const shown = html(item);
  assert.ok(!shown.includes('<img'), shown);
  assert.equal(item.querySelector('strong').textContent, HOSTILE);
  assert.ok(item.textContent.includes('incident · active (identified)'));
  assert.ok(item.textContent.includes('locale en, page /checkout* · until ended'));
});
