import assert from 'node:assert/strict';
import { test } from 'node:test';

import { backoffDelay, createLiveSocket } from '../socket.js';

test('backoff doubles up to the cap, with jitter in the upper half', () => {
  const low = (n) => backoffDelay(n, { random: () => 0 });
  const high = (n) => backoffDelay(n, { random: () => 1 });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(high), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.deepEqual([0, 1, 2].map(low), [500, 1000, 2000]);
  assert.equal(high(50), 30000);
});

/** Fake timers and WebSocket, driven by hand. */
function harness() {
  const timers = {
    queue: [],
    setTimeout(fn, ms) {
      this.queue.push({ fn, ms });
      return this.queue.length;
    },
    clearTimeout(id) {
      if (id) this.queue[id - 1].fn = null;
    },
    setInterval: () => 0,
    clearInterval: () => {},
    runNext() {
      const next = this.queue.find((t) => t.fn);
      const { fn } = next;
      next.fn = null;
      fn();
      return next.ms;
    },
  };
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      sockets.push(this);
    }
    send(data) {
      this.sent.push(data);
    }
    close() {
      this.onclose({ code: 1000 });
    }
  }
  const log = [];
  const socket = createLiveSocket('ws://bot.example/ws/conversations/c1', {
    token: 't',
    onEvent: (event) => log.push(['event', event.type]),
    onOpen: (reconnected) => log.push(['open', reconnected]),
    onDown: () => log.push(['down']),
    onRejected: () => log.push(['rejected']),
    WebSocketImpl: FakeSocket,
    timers,
    random: () => 1,
  });
  return { timers, sockets, log, socket };
}

test('reconnects with growing delays and reports reconnection', () => {
  const { timers, sockets, log } = harness();
  sockets[0].onopen();
  sockets[0].onmessage({ data: '{"type":"agent_joined","agent":{"name":"Marta"}}' });
  sockets[0].onmessage({ data: 'not json' });
  sockets[0].onclose({ code: 1006 });
  assert.equal(timers.runNext(), 1000);
  sockets[1].onclose({ code: 1006 });
  assert.equal(timers.runNext(), 2000);
  sockets[2].onopen();
  sockets[2].onclose({ code: 1006 });
  assert.equal(timers.runNext(), 1000, 'a successful connection resets the backoff');
  assert.deepEqual(log, [
    ['open', false],
    ['event', 'agent_joined'],
    ['down'],
    ['down'],
    ['open', true],
    ['down'],
  ]);
});

test('every connection sends the token as its first message, never in the URL', () => {
  const { timers, sockets } = harness();
  sockets[0].onopen();
  sockets[0].onclose({ code: 1006 });
  timers.runNext();
  sockets[1].onopen();
  for (const socket of sockets) {
    assert.equal(socket.url, 'ws://bot.example/ws/conversations/c1');
    assert.deepEqual(JSON.parse(socket.sent[0]), { type: 'auth', token: 't' });
  }
});

test('a rejected token stops reconnecting; close() stops for good', () => {
  for (const code of [4401, 4403, 4404]) {
    const first = harness();
    first.sockets[0].onclose({ code });
    assert.deepEqual(first.log, [['rejected']]);
    assert.equal(first.timers.queue.length, 0);
  }

  const second = harness();
  second.sockets[0].onopen();
  second.socket.close();
  assert.equal(second.timers.queue.length, 0);
  assert.equal(second.sockets.length, 1);
});

test('retryNow skips the wait', () => {
  const { sockets, socket } = harness();
  sockets[0].onclose({ code: 1006 });
  socket.retryNow();
  assert.equal(sockets.length, 2);
});
