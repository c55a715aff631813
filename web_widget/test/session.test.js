import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError } from '../api.js';
import { createSession } from '../session.js';
import { createStore } from '../store.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

const turn = (id, role, text, extra = {}) => ({ id, seq: id, role, text, citations: [], ...extra });

/** A session on fakes: an API whose stream replays a script, hand-driven timers and sockets. */
function harness({ stream, mode = 'bot', timeZone, post, signedIdentity } = {}) {
  const calls = [];
  const events = [];
  const sockets = [];
  const timers = {
    queue: [],
    setTimeout(fn, ms) {
      this.queue.push({ fn, ms });
      return this.queue.length;
    },
    clearTimeout(id) {
      if (id) this.queue[id - 1].fn = null;
    },
    async runAll() {
      for (const timer of this.queue) {
        if (!timer.fn) continue;
        const { fn } = timer;
        timer.fn = null;
        fn();
        await flush();
      }
    },
  };
  const api = {
    async createConversation(body) {
      calls.push(['create', body]);
      return { id: 'c1', token: 't1', mode };
    },
    async getConversation() {
      calls.push(['get']);
      return { id: 'c1', mode, csat: null, turns: [turn(1, 'customer', 'hi'), turn(2, 'bot', 'Hello!')] };
    },
    async streamMessage(id, token, message, onEvent) {
      calls.push(['stream', message]);
      await stream(message, onEvent, sockets[0]);
    },
    async postMessage(id, token, message) {
      calls.push(['post', message]);
      if (post) return post(message);
      return { message: turn(9, 'customer', message.text), reply: null, mode: 'waiting' };
    },
    async cancelHandoff() {
      calls.push(['cancel']);
      return { mode: 'bot', notice: 'OK, I’ve cancelled your request for a person.' };
    },
    async handoff(id, token, email) {
      calls.push(['handoff', email]);
      return { mode: 'waiting', wait_message: 'A person will join soon.' };
    },
  };
  const store = createStore(() => fakeStorage, { ttlMs: 1000 });
  const session = createSession({
    api,
    store,
    baseUrl: 'https://bot.example',
    customer: { name: 'Ann', plan: 'pro' },
    signedIdentity,
    page: 'https://shop.example/cart',
    locale: 'en-US',
    timeZone,
    emit: (type, payload) => events.push([type, payload]),
    openSocket: (url, handlers) => {
      const socket = { url, handlers, closed: false, close() { this.closed = true; }, retryNow() {} };
      sockets.push(socket);
      return socket;
    },
    timers,
  });
  return { session, calls, events, sockets, timers, store };
}

const fakeStorage = (() => {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v), removeItem: (k) => items.delete(k), items };
})();

const types = (events, wanted) => events.filter(([type]) => wanted.includes(type));

test('first message: creates the conversation, streams, and ignores the socket echo', async () => {
  fakeStorage.items.clear();
  const { session, calls, events, sockets } = harness({
    async stream(message, onEvent, socket) {
      const stored = turn(1, 'customer', message.text);
      socket.handlers.onEvent({ type: 'message', turn: stored }); // the socket can be first
      onEvent({ type: 'message', turn: stored });
      onEvent({ type: 'token', text: 'Valid for ' });
      socket.handlers.onEvent({ type: 'token', text: 'Valid for ' });
      onEvent({ type: 'token', text: '30 minutes [1].' });
      const reply = turn(2, 'bot', 'Valid for 30 minutes [1].');
      onEvent({ type: 'reply', turn: reply });
      socket.handlers.onEvent({ type: 'reply', turn: reply });
    },
  });
  const clientId = session.send('  how long is the reset link valid?  ');
  await flush();
  assert.deepEqual(calls[0], [
    'create',
    { channel: 'widget', name: 'Ann', email: '', page_url: 'https://shop.example/cart', page_title: '', locale: 'en-US', metadata: { plan: 'pro' } },
  ]);
  assert.deepEqual(calls[1], ['stream', { text: 'how long is the reset link valid?', client_id: clientId }]);
  assert.equal(sockets[0].url, 'wss://bot.example/ws/conversations/c1'); // no token in the URL
  assert.equal(sockets[0].handlers.token, 't1');
  assert.deepEqual(
    types(events, ['pending', 'sent', 'draft', 'turn', 'typing']).map(([type, p]) => [type, p?.turn?.id ?? p]),
    [
      ['pending', { clientId, text: 'how long is the reset link valid?' }],
      ['typing', true],
      ['sent', 1],
      ['draft', 'Valid for '],
      ['draft', 'Valid for 30 minutes [1].'],
      ['draft', null],
      ['turn', 2],
      ['typing', false],
    ],
  );
  assert.equal(JSON.parse(fakeStorage.items.get('supportbot:session')).value.id, 'c1');
});

test('a message not acknowledged is resent with the same client_id', async () => {
  fakeStorage.items.clear();
  let failures = 1;
  const { session, calls, events, timers } = harness({
    async stream(message, onEvent) {
      if (failures-- > 0) throw new ApiError(0, 'network', 'Failed to fetch');
      onEvent({ type: 'message', turn: turn(1, 'customer', message.text) });
      onEvent({ type: 'reply', turn: turn(2, 'bot', 'ok') });
    },
  });
  const clientId = session.send('hello');
  await flush();
  assert.deepEqual(types(events, ['retrying', 'network']), [['network', { ok: false }], ['retrying', { clientId }]]);
  await timers.runAll();
  const sent = calls.filter(([name]) => name === 'stream').map(([, message]) => message.client_id);
  assert.deepEqual(sent, [clientId, clientId]);
  assert.deepEqual(types(events, ['sent', 'network']).map(([type, p]) => [type, p.clientId ?? p.ok]), [
    ['network', false],
    ['sent', clientId],
    ['network', true],
  ]);
});

test('a rejected message is not retried', async () => {
  fakeStorage.items.clear();
  const { session, calls, events } = harness({
    async stream() {
      throw new ApiError(413, 'message_too_long', 'too long');
    },
  });
  const clientId = session.send('x'.repeat(5000));
  await flush();
  assert.equal(calls.filter(([name]) => name === 'stream').length, 1);
  const [[, failed]] = types(events, ['failed']);
  assert.equal(failed.clientId, clientId);
  assert.equal(failed.error.code, 'message_too_long');
});

test('while waiting for a person, messages go to POST /messages', async () => {
  fakeStorage.items.clear();
  const { session, calls, events, sockets } = harness({ stream: async () => assert.fail('no stream'), mode: 'waiting' });
  session.send('anyone there?');
  await flush();
  assert.equal(calls[1][0], 'post');
  sockets[0].handlers.onEvent({ type: 'agent_joined', agent: { name: 'Marta' } });
  sockets[0].handlers.onEvent({ type: 'agent_message', turn: turn(10, 'agent', 'Hi, I am Marta.') });
  const modes = types(events, ['mode']).map(([, p]) => `${p.mode}:${p.agent}`);
  assert.equal(modes.at(-1), 'agent:Marta');
  assert.deepEqual(types(events, ['notice']).at(-1), ['notice', { key: 'agentJoined', vars: { name: 'Marta' } }]);
  assert.deepEqual(types(events, ['turn']).at(-1)[1], { turn: turn(10, 'agent', 'Hi, I am Marta.'), fresh: true });
  sockets[0].handlers.onEvent({ type: 'closed' });
  assert.equal(types(events, ['mode']).at(-1)[1].mode, 'closed');
});

test('notices worded by the server (in the customer\'s language) are shown as sent', async () => {
  fakeStorage.items.clear();
  const { session, events, sockets } = harness({ stream: async () => {}, mode: 'waiting' });
  session.send('¿hay alguien?');
  await flush();
  sockets[0].handlers.onEvent({ type: 'agent_joined', agent: { name: 'Marta' }, text: 'Marta se unió al chat.' });
  sockets[0].handlers.onEvent({ type: 'returned_to_bot', text: 'Vuelves a hablar con el asistente virtual.' });
  assert.deepEqual(types(events, ['notice']).slice(-2).map(([, p]) => p), [
    { text: 'Marta se unió al chat.' },
    { text: 'Vuelves a hablar con el asistente virtual.' },
  ]);
});

test('handoff is announced once when the API and the socket both report it', async () => {
  fakeStorage.items.clear();
  const { session, events, sockets } = harness({ stream: async () => {} });
  assert.equal(await session.requestPerson(), true);
  sockets[0].handlers.onEvent({ type: 'handoff', mode: 'waiting', wait_message: 'A person will join soon.' });
  assert.deepEqual(types(events, ['handoff']), [['handoff', { mode: 'waiting', waitMessage: 'A person will join soon.' }]]);
  assert.equal(types(events, ['mode']).at(-1)[1].mode, 'waiting');
});

test('restore shows the saved conversation history as not fresh', async () => {
  fakeStorage.items.clear();
  fakeStorage.setItem('supportbot:session', JSON.stringify({ value: { id: 'c1', token: 't1' }, expires: Date.now() + 1000 }));
  const { session, events, sockets } = harness({ stream: async () => {} });
  await session.restore();
  assert.equal(sockets.length, 1);
  assert.deepEqual(types(events, ['turn']).map(([, p]) => [p.turn.id, p.fresh]), [[1, false], [2, false]]);
  assert.equal(session.conversationId, 'c1');
});

test('a delivered message whose answer did not arrive is resent with the same client_id', async () => {
  fakeStorage.items.clear();
  let broken = 1;
  const { session, calls, events, timers } = harness({
    async stream(message, onEvent) {
      onEvent({ type: 'message', turn: turn(1, 'customer', message.text) }); // stored each time
      if (broken-- > 0) throw new ApiError(0, 'network', 'network error'); // the server stopped
      onEvent({ type: 'reply', turn: turn(2, 'bot', 'Refunds take 5-10 days.') });
    },
  });
  const clientId = session.send('how long do refunds take?');
  await flush();
  await timers.runAll();
  const sent = calls.filter(([name]) => name === 'stream').map(([, message]) => message.client_id);
  assert.deepEqual(sent, [clientId, clientId]);
  assert.deepEqual(
    types(events, ['sent', 'turn', 'retrying', 'failed', 'notice']).map(([type, p]) => [type, p.turn?.id ?? p]),
    [
      ['sent', 1],
      ['turn', 2],
    ],
  );
});

test('a stream that ends without an answer is resent a few times, then the customer is told', async () => {
  fakeStorage.items.clear();
  const { session, calls, events, timers } = harness({
    async stream(message, onEvent) {
      onEvent({ type: 'message', turn: turn(1, 'customer', message.text) });
      if (message.text === 'next') onEvent({ type: 'reply', turn: turn(3, 'bot', 'ok') });
      else onEvent({ type: 'error', error_code: 'internal', detail: 'the reply failed on our side' });
    },
  });
  const clientId = session.send('hello?');
  session.send('next');
  await flush();
  await timers.runAll();
  const sent = calls.filter(([name]) => name === 'stream').map(([, message]) => message.text);
  assert.deepEqual(sent, [...Array(6).fill('hello?'), 'next']); // the first try and 5 resends
  const delays = timers.queue.map((timer) => timer.ms).filter((ms) => ms !== 1500);
  assert.equal(delays.length, 5);
  assert.ok(delays.every((ms, n) => ms > 0 && ms <= 30000 && (n === 0 || ms >= delays[n - 1] / 2)));
  assert.deepEqual(types(events, ['notice']), [['notice', { key: 'replyFailed' }]]);
  assert.deepEqual(types(events, ['sent']).map(([, p]) => p.clientId)[0], clientId);
  assert.equal(types(events, ['retrying', 'failed']).length, 0);
});

test('a stream that ends in a handoff is not resent', async () => {
  fakeStorage.items.clear();
  const { session, calls, timers } = harness({
    async stream(message, onEvent) {
      onEvent({ type: 'message', turn: turn(1, 'customer', message.text) });
      onEvent({ type: 'handoff', mode: 'waiting', wait_message: 'A person will join soon.' });
    },
  });
  session.send('I want a person');
  await flush();
  await timers.runAll();
  assert.equal(calls.filter(([name]) => name === 'stream').length, 1);
});

// ------------------------------------------------------------------ issue 17

test('the browser time zone goes with the new conversation (hours in the customer\'s time)', async () => {
  fakeStorage.items.clear();
  const { session, calls } = harness({ stream: async () => {}, timeZone: 'America/New_York' });
  session.send('hola');
  await flush();
  assert.deepEqual(calls[0][1].metadata, { plan: 'pro', time_zone: 'America/New_York' });
});

test('the survey follows the chat\'s language: from the closing event, or the history', async () => {
  fakeStorage.items.clear();
  const { session, events, sockets } = harness({ stream: async () => {}, mode: 'waiting' });
  session.send('¿hay alguien?');
  await flush();
  sockets[0].handlers.onEvent({ type: 'closed', locale: 'es' });
  assert.deepEqual(
    [types(events, ['mode']).at(-1)[1].mode, types(events, ['mode']).at(-1)[1].language],
    ['closed', 'es'],
  );
});

test('while waiting, the customer can take the request back (button or words)', async () => {
  fakeStorage.items.clear();
  const { session, calls, events, sockets } = harness({
    stream: async () => {},
    mode: 'waiting',
    post: (message) => ({
      message: turn(9, 'customer', message.text),
      reply: turn(10, 'system', 'De acuerdo, he cancelado tu solicitud.', { kind: 'handoff_cancelled' }),
      mode: 'bot',
    }),
  });
  session.send('ya está resuelto');
  await flush();
  assert.equal(types(events, ['mode']).at(-1)[1].mode, 'bot');
  assert.equal(types(events, ['turn']).at(-1)[1].turn.kind, 'handoff_cancelled');

  sockets[0].handlers.onEvent({ type: 'handoff', mode: 'offline', wait_message: 'Offline.' });
  assert.equal(types(events, ['mode']).at(-1)[1].offline, true);
  assert.equal(await session.cancelPerson(), true);
  assert.equal(calls.at(-1)[0], 'cancel');
  const last = types(events, ['mode']).at(-1)[1];
  assert.deepEqual([last.mode, last.offline], ['bot', false]);
  assert.deepEqual(types(events, ['notice']).at(-1)[1], { text: 'OK, I’ve cancelled your request for a person.' });

  sockets[0].handlers.onEvent({ type: 'handoff', mode: 'waiting', wait_message: 'Again.' });
  sockets[0].handlers.onEvent({ type: 'handoff_cancelled', mode: 'bot', text: 'Cancelled elsewhere.' });
  assert.equal(types(events, ['mode']).at(-1)[1].mode, 'bot');
  assert.deepEqual(types(events, ['notice']).at(-1)[1], { text: 'Cancelled elsewhere.' });
});

test('a signed identity goes with the new conversation, untouched', async () => {
  fakeStorage.items.clear();
  const signedIdentity = { payload: 'eyJ1c2VyX2lkIjoidTEifQ', signature: 'ab12' };
  const { session, calls } = harness({ signedIdentity, async stream() {} });
  session.send('where is my order?');
  await flush();
  assert.deepEqual(calls[0][1].identity, signedIdentity);
});
