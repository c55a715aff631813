import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createSuggestions, suggestionItems, typingIn } from '../suggestions.js';
import { installDocument } from './event-dom.js';

const t = (key) => key;
const BODY = {
  path: '/demo/checkout',
  questions: ['Why was my payment declined?', ' ', 7, 'How do I use a promo code?'],
  articles: [
    { id: 'declined', title: 'Payment declined', url: 'https://help.example/declined' },
    { id: 'evil', title: 'Evil', url: 'javascript:alert(1)' },
    { id: 'local', title: 'Promo codes', url: '/help/promo-codes' },
  ],
  nudge_after_s: 0,
};

function fakeTimers() {
  const pending = new Map();
  let next = 1;
  return {
    pending,
    setTimeout(fn, ms) {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimeout(id) {
      pending.delete(id);
    },
    runAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const { fn } of due) fn();
    },
  };
}

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, String(v)), data };
}

function setup({ body = BODY, storage = memoryStorage(), active = () => null } = {}) {
  const panel = installDocument();
  const launcherArea = installDocument();
  const asked = [];
  const timers = fakeTimers();
  let opened = 0;
  const suggestions = createSuggestions({
    api: { suggestions: async (page, locale) => ({ ...body, asked: [page, locale] }) },
    t,
    page: 'https://shop.example/demo/checkout?step=2',
    locale: 'en',
    baseUrl: 'https://bot.example',
    place: (node) => panel.prepend(node),
    placeNudge: (node) => launcherArea.append(node),
    ask: (text) => asked.push(text),
    openChat: () => { opened += 1; },
    storage,
    timers,
    active,
  });
  return { panel, launcherArea, asked, timers, storage, suggestions, opened: () => opened };
}

test('suggestions keep text questions and http(s) links only', () => {
  assert.deepEqual(suggestionItems(BODY, 'https://bot.example'), {
    questions: ['Why was my payment declined?', 'How do I use a promo code?'],
    articles: [
      { title: 'Payment declined', href: 'https://help.example/declined' },
      { title: 'Promo codes', href: 'https://bot.example/help/promo-codes' },
    ],
  });
  assert.deepEqual(suggestionItems(null), { questions: [], articles: [] });
  assert.deepEqual(suggestionItems({ questions: 'x', articles: {} }), { questions: [], articles: [] });
});

test('the page questions show before typing, and a click sends the question', async () => {
  const { panel, asked, suggestions } = setup();
  await suggestions.load();
  const [card] = panel.children;
  assert.equal(card.all('p')[0].textContent, 'suggested');
  const buttons = card.all('button');
  assert.deepEqual(buttons.map((b) => b.textContent), ['Why was my payment declined?', 'How do I use a promo code?']);
  assert.deepEqual(card.all('a').map((a) => a.attributes.href), ['https://help.example/declined', 'https://bot.example/help/promo-codes']);
  assert.ok(card.all('a').every((a) => a.attributes.rel === 'noopener'));
  await buttons[1].fire('click');
  assert.deepEqual(asked, ['How do I use a promo code?']);
  assert.equal(panel.children.length, 0, 'the card goes once a question is asked');
});

test('typing a message of their own hides the suggestions', async () => {
  const { panel, suggestions } = setup();
  await suggestions.load();
  suggestions.seen(true);
  assert.equal(panel.children.length, 0);
});

test('a page without suggestions, or a failed request, shows nothing', async () => {
  const empty = setup({ body: { path: '/about', questions: [], articles: [], nudge_after_s: 30 } });
  await empty.suggestions.load();
  assert.equal(empty.panel.children.length, 0);
  assert.equal(empty.timers.pending.size, 0);
  const panel = installDocument();
  const failing = createSuggestions({
    api: { suggestions: async () => { throw new Error('offline'); } },
    t, page: '/', locale: 'en', place: (node) => panel.append(node), placeNudge() {}, ask() {}, openChat() {},
  });
  await failing.load();
  assert.equal(panel.children.length, 0);
});

test('the nudge is off unless the server sets a delay', async () => {
  const { timers, suggestions } = setup();
  await suggestions.load();
  assert.equal(timers.pending.size, 0);
});

test('the nudge shows once per page per visitor, and opens the chat', async () => {
  const storage = memoryStorage();
  const first = setup({ body: { ...BODY, nudge_after_s: 20 }, storage });
  await first.suggestions.load();
  assert.deepEqual([...first.timers.pending.values()].map((p) => p.ms), [20000]);
  first.timers.runAll();
  const [nudge] = first.launcherArea.children;
  assert.equal(nudge.attributes.role, 'status');
  await nudge.all('button')[0].fire('click');
  assert.equal(first.opened(), 1);
  await nudge.all('button')[1].fire('click'); // dismiss
  assert.equal(first.launcherArea.children.length, 0);
  assert.equal(storage.getItem('supportbot:nudged:/demo/checkout'), '1');
  const again = setup({ body: { ...BODY, nudge_after_s: 20 }, storage });
  await again.suggestions.load();
  assert.equal(again.timers.pending.size, 0, 'not twice on the same page');
});

test('never while the visitor types in the page; opening the chat cancels it', async () => {
  let focused = { tagName: 'INPUT', type: 'text' };
  const { launcherArea, timers, suggestions } = setup({ body: { ...BODY, nudge_after_s: 5 }, active: () => focused });
  await suggestions.load();
  timers.runAll();
  assert.equal(launcherArea.children.length, 0);
  assert.equal(timers.pending.size, 1, 'tries again later');
  focused = null;
  suggestions.seen(); // the customer opened the chat
  assert.equal(timers.pending.size, 0);
  timers.runAll();
  assert.equal(launcherArea.children.length, 0);
});

test('what counts as typing', () => {
  assert.equal(typingIn({ tagName: 'TEXTAREA' }), true);
  assert.equal(typingIn({ tagName: 'INPUT', type: 'email' }), true);
  assert.equal(typingIn({ tagName: 'INPUT', type: 'checkbox' }), false);
  assert.equal(typingIn({ tagName: 'DIV', isContentEditable: true }), true);
  assert.equal(typingIn({ tagName: 'BUTTON' }), false);
  assert.equal(typingIn(null), false);
});
