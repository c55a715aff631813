import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createNps, npsBody } from '../nps.js';
import { installDocument } from './event-dom.js';

const t = (key) => key;

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, String(v)) };
}

function setup({ due = true, answer = async () => null, storage = null, now = () => 0 } = {}) {
  const panel = installDocument();
  const calls = [];
  const api = {
    npsDue: async (id, token) => {
      calls.push(['due', id, token]);
      return { due, period_days: 90 };
    },
    answerNps: async (id, token, body) => {
      calls.push(['answer', id, token, body]);
      return answer();
    },
  };
  let chat = { id: 'c1', token: 't1' };
  const nps = createNps({ api, t, credentials: () => chat, place: (node) => panel.prepend(node), storage, now });
  return { panel, calls, nps, setChat: (next) => { chat = next; } };
}

const conflict = () => Object.assign(new Error('already answered'), { status: 409 });

test('the answer body is the score and a trimmed, bounded comment', () => {
  assert.deepEqual(npsBody(9, '  great <b>  '), { score: 9, comment: 'great <b>' });
  assert.equal(npsBody(0, 'x'.repeat(3000)).comment.length, 2000);
  assert.deepEqual(npsBody(5, undefined), { score: 5, comment: '' });
});

test('a due customer picks 0-10, comments and sends; the card thanks them', async () => {
  const { panel, calls, nps } = setup();
  await nps.offer();
  const [form] = panel.all('form');
  assert.ok(form, 'the survey is shown');
  assert.equal(form.all('p')[0].textContent, 'npsQuestion');
  const scores = form.all('button').filter((b) => b.attributes.class === 'score');
  assert.deepEqual(scores.map((b) => b.textContent), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  const send = form.all('button').find((b) => b.attributes.type === 'submit');
  assert.equal(send.disabled, true);
  await form.fire('submit'); // no score yet: nothing is sent
  assert.equal(calls.filter(([kind]) => kind === 'answer').length, 0);
  await scores[9].fire('click');
  assert.equal(scores[9].attributes['aria-pressed'], 'true');
  assert.equal(send.disabled, false);
  form.all('textarea')[0].value = '  Quick and kind <script>x</script> ';
  await form.fire('submit');
  assert.deepEqual(calls, [
    ['due', 'c1', 't1'],
    ['answer', 'c1', 't1', { score: 9, comment: 'Quick and kind <script>x</script>' }],
  ]);
  assert.equal(form.textContent, 'npsThanks');
});

test('not due, or asked already for this chat: no card and no second question', async () => {
  const { panel, calls, nps, setChat } = setup({ due: false });
  await nps.offer();
  await nps.offer();
  assert.equal(panel.all('form').length, 0);
  assert.equal(calls.length, 1);
  setChat(null); // before the first message there is nothing to ask about
  await nps.offer();
  assert.equal(calls.length, 1);
});

test('a 409 (answered lately, e.g. in another tab) removes the card quietly', async () => {
  const { panel, nps } = setup({ answer: async () => { throw conflict(); } });
  await nps.offer();
  const [form] = panel.all('form');
  await form.all('button')[3].fire('click');
  await form.fire('submit');
  assert.equal(panel.all('form').length, 0);
});

test('another failure keeps the card so the customer can send again', async () => {
  const { panel, nps } = setup({ answer: async () => { throw Object.assign(new Error('down'), { status: 503 }); } });
  await nps.offer();
  const [form] = panel.all('form');
  await form.all('button')[10].fire('click');
  await form.fire('submit');
  assert.equal(panel.all('form').length, 1);
  assert.equal(form.all('button').find((b) => b.attributes.type === 'submit').disabled, false);
});

test('a new chat takes the old survey away and may ask again', async () => {
  const { panel, calls, nps } = setup();
  await nps.offer();
  nps.reset();
  assert.equal(panel.all('form').length, 0);
  await nps.offer();
  assert.equal(calls.filter(([kind]) => kind === 'due').length, 2);
});

test('this browser is not asked again within the period after an answer or a 409', async () => {
  const storage = memoryStorage();
  let clock = 0;
  const day = 24 * 60 * 60 * 1000;
  const first = setup({ storage, now: () => clock });
  await first.nps.offer();
  const [form] = first.panel.all('form');
  await form.all('button')[8].fire('click');
  await form.fire('submit');
  const later = setup({ storage, now: () => clock });
  later.setChat({ id: 'c2', token: 't2' }); // an anonymous visitor's next chat
  clock = 89 * day;
  await later.nps.offer();
  assert.equal(later.calls.length, 0);
  clock = 91 * day;
  await later.nps.offer();
  assert.equal(later.panel.all('form').length, 1);
  const conflicted = setup({ storage: memoryStorage(), answer: async () => { throw conflict(); } });
  await conflicted.nps.offer();
  await conflicted.panel.all('form')[0].all('button')[0].fire('click');
  await conflicted.panel.all('form')[0].fire('submit');
  conflicted.setChat({ id: 'c3', token: 't3' });
  await conflicted.nps.offer();
  assert.equal(conflicted.calls.filter(([kind]) => kind === 'due').length, 1);
});
