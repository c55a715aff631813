import assert from 'node:assert/strict';
import { test } from 'node:test';

import { endsSession, nextDelay, parseEvent, reaction } from '../agent/events.js';

const open = { selectedId: 't1', openConversationId: 'c1' };

test('who takes chats is redrawn on pongs and availability changes', () => {
  assert.deepEqual(reaction({ type: 'pong' }, open), { do: 'agents' });
  assert.deepEqual(reaction({ type: 'availability' }, open), { do: 'agents' });
});

test('a ticket event reloads the queue, and the open ticket when it is that one', () => {
  assert.deepEqual(reaction({ type: 'ticket', ticket_id: 't1' }, open), { do: 'queue', detail: true });
  assert.deepEqual(reaction({ type: 'ticket', ticket_id: 't2' }, open), { do: 'queue', detail: false });
  assert.deepEqual(reaction({ type: 'ticket' }, { selectedId: null }), { do: 'queue', detail: false });
});

test('messages in another chat mark it unread; other events there are ignored', () => {
  for (const type of ['message', 'agent_message']) {
    assert.deepEqual(reaction({ type, conversation_id: 'c2' }, open), { do: 'unread', conversationId: 'c2' });
  }
  for (const type of ['reply', 'token', 'handoff', 'closed']) {
    assert.equal(reaction({ type, conversation_id: 'c2' }, open), null);
  }
  assert.equal(reaction({ type: 'message' }, open), null); // no conversation: nothing to mark
  assert.deepEqual(reaction({ type: 'message', conversation_id: 'c1' }, {}), { do: 'unread', conversationId: 'c1' });
});

test('events of the open chat add turns, show typing or reload the ticket', () => {
  const turn = { id: 7, seq: 3, role: 'customer', text: 'hi' };
  for (const type of ['message', 'reply', 'agent_message']) {
    assert.deepEqual(reaction({ type, conversation_id: 'c1', turn }, open), { do: 'turn', turn });
    assert.equal(reaction({ type, conversation_id: 'c1' }, open), null);
  }
  assert.deepEqual(reaction({ type: 'token', conversation_id: 'c1' }, open), { do: 'typing' });
  for (const type of ['handoff', 'agent_joined', 'transferred', 'closed', 'returned_to_bot', 'handoff_cancelled']) {
    assert.deepEqual(reaction({ type, conversation_id: 'c1' }, open), { do: 'detail' }, type);
  }
  assert.equal(reaction({ type: 'something_new', conversation_id: 'c1' }, open), null);
});

test('only JSON objects are events', () => {
  assert.deepEqual(parseEvent('{"type":"pong"}'), { type: 'pong' });
  for (const data of ['not json', 'null', '42', '"text"']) assert.equal(parseEvent(data), null, data);
});

test('refused sessions end; other closes reconnect with a doubling delay up to 30 s', () => {
  for (const code of [4401, 4403, 1008]) assert.equal(endsSession(code), true);
  for (const code of [1000, 1001, 1006, 1011]) assert.equal(endsSession(code), false);
  assert.equal(nextDelay(1000), 2000);
  assert.equal(nextDelay(16000), 30000);
  assert.equal(nextDelay(30000), 30000);
});
