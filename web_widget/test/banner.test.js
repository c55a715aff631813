import assert from 'node:assert/strict';
import { test } from 'node:test';

import { announcementsQuery, createAnnouncementBanner } from '../banner.js';
import { createStore } from '../store.js';
import { fakeDocument, html } from './fake-dom.js';

const OUTAGE = { id: 'a1', kind: 'incident', title: 'Checkout <b>outage</b>', text: 'Payments **fail**. <img src=x onerror=alert(1)>' };
const POLICY = { id: 'a2', kind: 'policy', title: 'Returns', text: '60 days now.' };

function setup(responses) {
  const container = fakeDocument.createElement('div');
  const store = createStore(() => null, { ttlMs: 60_000 });
  const calls = [];
  const banner = createAnnouncementBanner(fakeDocument, container, {
    load: async () => {
      calls.push(1);
      const next = responses.shift();
      if (next instanceof Error) throw next;
      return next;
    },
    store,
    t: (key) => ({ dismiss: 'Dismiss announcement' })[key],
  });
  return { banner, container, store, calls };
}

const cards = (container) => container.childNodes.map((c) => c.getAttribute('data-announcement'));

test('the query names the language and the page, encoded', () => {
  assert.equal(
    announcementsQuery('es-MX', 'https://shop.test/checkout?a=1&b=2'),
    '?locale=es-MX&page=https%3A%2F%2Fshop.test%2Fcheckout%3Fa%3D1%26b%3D2',
  );
  assert.equal(announcementsQuery(undefined, ''), '?locale=&page=');
});

test('announcements show as escaped text, with a dismiss button each', async () => {
  const { banner, container } = setup([[OUTAGE, POLICY]]);
  await banner.refresh();
  assert.deepEqual(cards(container), ['a1', 'a2']);
  assert.equal(container.hidden, false);
  const shown = html(container.childNodes[0]);
  assert.ok(shown.includes('<strong>Checkout &lt;b&gt;outage&lt;/b&gt;</strong>'), shown);
  assert.ok(shown.includes('Payments <strong>fail</strong>. &lt;img src=x onerror=alert(1)&gt;'), shown);
  assert.ok(shown.includes('<button type="button" aria-label="Dismiss announcement">×</button>'), shown);
  assert.equal(container.childNodes[0].getAttribute('data-kind'), 'incident');
});

test('a dismissed announcement stays dismissed; the others stay', async () => {
  const { banner, container, store } = setup([[OUTAGE, POLICY], [OUTAGE, POLICY]]);
  await banner.refresh();
  container.childNodes[0].childNodes[2].onclick();
  assert.deepEqual(cards(container), ['a2']);
  assert.deepEqual(store.get('dismissed-announcements'), ['a1']);
  await banner.refresh();
  assert.deepEqual(cards(container), ['a2']);
  container.childNodes[0].childNodes[2].onclick();
  assert.deepEqual(cards(container), []);
  assert.equal(container.hidden, true);
});

test('an ended announcement disappears on the next refresh; a failed fetch keeps the banner', async () => {
  const { banner, container, calls } = setup([[OUTAGE], new Error('offline'), []]);
  await banner.refresh();
  assert.deepEqual(cards(container), ['a1']);
  await banner.refresh();
  assert.deepEqual(cards(container), ['a1']);
  await banner.refresh();
  assert.deepEqual(cards(container), []);
  assert.equal(container.hidden, true);
  assert.equal(calls.length, 3);
});
