// An agent's reply is stored once however often it is resent (same client_id).
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import './server-paths.js';

const { state } = await import('../agent/state.js');
const { replyClientId, sendReply } = await import('../agent/reply.js');

/** A server that answers each POST with the next of `statuses` and records the bodies. */
function server(...statuses) {
  const bodies = [];
  globalThis.fetch = async (path, init) => {
    bodies.push({ path, ...JSON.parse(init.body) });
    const status = statuses.shift();
    if (status === 0) throw new TypeError('Failed to fetch');
    const body = status === 201 ? { id: 9, seq: 4, role: 'agent', text: 'ok' } : { detail: `status ${status}` };
    return new Response(JSON.stringify(body), { status });
  };
  return bodies;
}

beforeEach(() => {
  state.token = 'tok';
  state.pendingReply = null;
});

test('the same text to the same chat keeps its client_id until it is stored', () => {
  const first = replyClientId('t1', 'Hello');
  assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(replyClientId('t1', 'Hello'), first);
  assert.notEqual(replyClientId('t1', 'Hello again'), first);
  assert.notEqual(replyClientId('t2', 'Hello again'), replyClientId('t1', 'Hello again'));
});

test('a reply is resent with the same client_id after network and server errors', async () => {
  const bodies = server(0, 503, 201);
  const turn = await sendReply('t/1', 'Hi there', [0, 0]);
  assert.equal(turn.id, 9);
  assert.equal(bodies.length, 3);
  assert.equal(bodies[0].path, '/api/agent/tickets/t%2F1/messages');
  assert.equal(new Set(bodies.map((b) => b.client_id)).size, 1);
  assert.equal(state.pendingReply, null);
  const later = server(201);
  await sendReply('t/1', 'Hi there', [0, 0]);
  assert.notEqual(later[0].client_id, bodies[0].client_id); // stored: the same text again is a new reply
});

test('a refused reply is not resent and keeps its client_id for a retry by hand', async () => {
  const bodies = server(422);
  await assert.rejects(sendReply('t1', 'Nope', [0, 0]), { status: 422, message: 'status 422' });
  assert.equal(bodies.length, 1);
  assert.equal(state.pendingReply.clientId, bodies[0].client_id);
  const again = server(201);
  await sendReply('t1', 'Nope', [0, 0]);
  assert.equal(again[0].client_id, bodies[0].client_id);
});

test('after the last retry the error is given up to the agent', async () => {
  const bodies = server(502, 502, 502, 201);
  await assert.rejects(sendReply('t1', 'Still down', [0, 0]), { status: 502 });
  assert.equal(bodies.length, 3);
});
