// The agent console's rendering of untrusted text: customers write anything, agents read it.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { html, install, mount } from './fake-dom.js';
import './server-paths.js';

const { state } = await import('../agent/state.js');
const { agentName, explain, reasonLabel } = await import('../agent/labels.js');
const { renderTurn, renderNote } = await import('../agent/transcript.js');
const { renderQueue } = await import('../agent/queue.js');
const { renderCustomer, saidInChat } = await import('../agent/customer.js');
const { ApiError } = await import('../shared/api.js');

const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';

beforeEach(() => {
  install();
  state.agent = { id: 'me', name: 'sam', display_name: 'Sam' };
  state.agents = new Map([['a2', { id: 'a2', name: 'kim', display_name: 'Kim <b>' }]]);
  state.tickets = [];
  state.unread = new Set();
  state.selectedId = null;
});

test('a turn shows hostile text as text, in a known role and a clean class', () => {
  const node = renderTurn({ id: 1, seq: 1, role: '"><x', kind: 'answer" onclick="x', text: HOSTILE, created_at: 'x' });
  assert.equal(node.className, 'turn turn-system kind-answeronclickx');
  assert.equal(node.querySelector('.turn-role').textContent, 'System');
  const text = node.querySelector('.turn-text');
  assert.equal(text.textContent, HOSTILE);
  assert.equal(text.querySelectorAll('img').length + text.querySelectorAll('script').length, 0);
});

test("a bot turn's markdown becomes elements, its confidence shown, unsafe citation links plain text", () => {
  const node = renderTurn({
    id: 2,
    seq: 2,
    role: 'bot',
    confidence: 0.812,
    text: 'See **this** [1]',
    created_at: '2026-01-02T12:00:00Z',
    citations: [
      { n: 1, title: 'Refunds', section: '<b>How</b>', url: 'https://help.example/refunds' },
      { n: 2, title: 'Evil', url: 'javascript:alert(1)' },
    ],
  });
  assert.equal(node.querySelector('.turn-conf').textContent, 'confidence 81%');
  assert.equal(node.querySelector('strong').textContent, 'this');
  const cited = node.querySelector('.citations');
  assert.equal(
    html(cited.children[0]),
    '<li value="1"><a href="https://help.example/refunds" target="_blank" rel="noopener noreferrer nofollow">Refunds – &lt;b&gt;How&lt;/b&gt;</a></li>',
  );
  assert.equal(html(cited.children[1]), '<li value="2"><span>Evil</span></li>');
});

test('a note names its author: you, another agent, or an agent no longer listed', () => {
  const mine = renderNote({ agent_id: 'me', text: HOSTILE, created_at: 'x' });
  assert.equal(mine.querySelector('strong').textContent, 'You');
  assert.equal(mine.querySelector('.note-text').textContent, HOSTILE);
  assert.equal(renderNote({ agent_id: 'a2', text: '', created_at: 'x' }).querySelector('strong').textContent, 'Kim <b>');
  assert.equal(renderNote({ agent_id: 'gone', text: '', created_at: 'x' }).querySelector('strong').textContent, 'another agent');
});

test('the queue lists tickets with their text escaped and who holds them', () => {
  mount('ul#ticket-list', 'queue-count', 'queue-empty');
  const created_at = new Date(Date.now() - 90_000).toISOString();
  const base = { priority: 'high', reasons: ['explicit_request', 'brand_new'], created_at, offline: false };
  state.tickets = [
    { ...base, id: 't1', status: 'open', summary: `\n  \n${HOSTILE}\nsecond line`, customer_email: HOSTILE },
    { ...base, id: 't2', status: 'claimed', agent_id: 'me', summary: '' },
    { ...base, id: 't3', status: 'claimed', agent_id: 'a2', summary: 'x', offline: true },
  ];
  state.unread = new Set(['t3']);
  renderQueue();
  const items = document.querySelectorAll('.ticket-item');
  assert.equal(items.length, 3);
  assert.equal(items[0].querySelector('.ticket-summary').textContent, HOSTILE);
  assert.equal(items[0].querySelector('.ticket-who').textContent, HOSTILE);
  assert.equal(document.querySelectorAll('img').length + document.querySelectorAll('script').length, 0);
  assert.equal(items[0].querySelector('.ticket-wait').textContent, '1 min');
  assert.deepEqual(items[0].querySelectorAll('.chip').map((c) => c.textContent), ['Asked for a person', 'brand new']);
  assert.equal(items[1].querySelector('.ticket-summary').textContent, 'No summary');
  assert.equal(items[1].querySelector('.status').textContent, 'Yours');
  assert.equal(items[2].querySelector('.status').textContent, 'With Kim <b>');
  assert.ok(items[2].querySelector('.chip-offline'));
  assert.equal(items[2].querySelector('.dot').textContent, 'New message');
  assert.equal(document.getElementById('queue-count').textContent, '3');
  assert.equal(document.getElementById('queue-empty').hidden, true);
  assert.equal(document.title, '(1) Agent console');
});

test('what the customer supplied never passes for what the server verified', () => {
  mount('ctx-verified', 'dl#ctx-customer');
  const customer = {
    verified: { plan: 'Pro' },
    customer_supplied: {
      name: 'Ann',
      email: 'ann@example.com',
      page_url: 'javascript:alert(1)',
      metadata: { verified: 'yes', 'Identity check': 'passed', '<b>': HOSTILE, page_title: HOSTILE },
    },
    said_in_chat: { name: 'Annie', order_numbers: [123, 'A-9'] },
  };
  renderCustomer({ customer_email: 'x@example.com' }, customer);
  const verified = document.getElementById('ctx-verified');
  assert.deepEqual(verified.querySelectorAll('dt').map((n) => n.textContent), ['plan']);
  const rows = document.getElementById('ctx-customer');
  const keys = rows.querySelectorAll('dt').map((n) => n.textContent);
  assert.deepEqual(keys, ['Name', 'Email', 'Page', 'Page title', 'Locale', 'Name in chat', 'Order numbers', '“verified”', '“Identity check”', '“<b>”']);
  assert.equal(rows.querySelectorAll('a').length, 0); // the javascript: page is text
  assert.equal(rows.querySelectorAll('dd')[2].textContent, 'javascript:alert(1)');
  assert.equal(rows.querySelectorAll('dd')[3].textContent, HOSTILE); // the page title, as text
  assert.equal(rows.querySelectorAll('dd')[9].textContent, HOSTILE);
  assert.match(rows.querySelectorAll('dd')[6].textContent, /^123, A-9said by the customer$/);
});

test('a verified customer\'s account is shown as text; a refused identity says why', () => {
  mount('ctx-verified', 'dl#ctx-customer');
  renderCustomer({}, {
    identity: 'verified',
    verified: { user_id: 'u-1', plan: 'plus' },
    account: {
      orders: [{ id: '1042', status: 'shipped', shipped_at: '2025-05-03', carrier: HOSTILE, tracking: '1Z9' }],
      subscription: { plan: 'Plus', status: 'active', renews_at: '2025-06-01' },
      invoices: [{ id: 'INV-7', amount: '29.00 EUR', due_at: '2025-05-20', status: 'open' }],
    },
    customer_supplied: {},
  });
  const panel = document.getElementById('ctx-verified');
  const account = panel.querySelector('dl.account');
  assert.deepEqual(account.querySelectorAll('dt').map((n) => n.textContent), ['Order #1042', 'Subscription', 'Invoice INV-7']);
  assert.equal(account.querySelectorAll('dd')[0].textContent, `shipped · 2025-05-03 · ${HOSTILE} · 1Z9`);
  mount('ctx-verified', 'dl#ctx-customer');
  renderCustomer({}, { identity: 'unverified', identity_problem: 'the signature does not match', verified: {}, account: null });
  assert.match(document.getElementById('ctx-verified').textContent, /Unverified identity: the signature does not match$/);
});

test('nothing verified says so; odd said_in_chat shapes are ignored', () => {
  mount('ctx-verified', 'dl#ctx-customer');
  renderCustomer({ customer_email: null }, { verified: 'yes' });
  assert.equal(document.getElementById('ctx-verified').textContent, 'Nothing about this customer has been verified.');
  assert.deepEqual(saidInChat({ said_in_chat: { name: 5, order_numbers: 'A-1' } }), { name: '', orders: [] });
  assert.deepEqual(saidInChat(undefined), { name: '', orders: [] });
});

test('labels and errors read as agents need them', () => {
  assert.equal(reasonLabel('sensitive_topic'), 'Sensitive topic');
  assert.equal(reasonLabel('new_reason_x'), 'new reason x');
  assert.equal(agentName('me'), 'you');
  assert.equal(agentName(''), '');
  assert.equal(explain(new ApiError(409, 'already_claimed', 'x')), 'Another agent took this chat.');
  assert.equal(explain(new ApiError(409, 'invalid_transition', 'it is resolved')), 'This chat can no longer do that: it is resolved');
  assert.equal(explain(new ApiError(500, null, '')), 'HTTP 500');
});

test("the customer's timeline lists other channels' conversations, hostile text as text", async () => {
  const { renderTimeline, timelineLabel } = await import('../agent/timeline.js');
  mount('section#timeline', 'ol#timeline-list');
  const now = new Date().toISOString();
  renderTimeline([
    { conversation_id: 'c2', channel: 'email', mode: 'bot', created_at: now, opening: HOSTILE, turns: 2 },
    { conversation_id: 'c1', channel: '"><x', mode: 'closed', created_at: now, opening: '', turns: 1 },
  ]);
  const items = document.getElementById('timeline-list').querySelectorAll('li');
  assert.equal(items.length, 2);
  assert.match(items[0].querySelector('.timeline-label').textContent, /^Email, .* ago, bot, 2 messages$/);
  assert.equal(items[0].querySelector('.timeline-opening').textContent, HOSTILE);
  assert.equal(items[0].querySelectorAll('img').length + items[0].querySelectorAll('script').length, 0);
  assert.equal(items[1].className, 'timeline-entry channel-other');
  assert.match(timelineLabel({ channel: 'widget', turns: 1, mode: 'bot', created_at: now }), /^Chat, .*, 1 message$/);
  assert.equal(document.getElementById('timeline').hidden, false);
  renderTimeline(undefined);
  assert.equal(document.getElementById('timeline').hidden, true);
});
